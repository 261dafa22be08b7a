"""Receipts of the platform's webhooks: what arrived and what the API did with it.

A reply webhook is claimed once per platform message before anything acts on it, so a repeated
or replayed delivery changes nothing. A claim stays `RECEIVED` until its outcome is written:
a delivery that failed half-way (Temporal down) is processed again when the platform retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebhookReceipt

RECEIVED = "RECEIVED"  # claimed, outcome not written yet


@dataclass(frozen=True)
class ReplyClaim:
    receipt_id: int
    first: bool  # False: this message was received before
    outcome: str  # the earlier delivery's outcome when not first
    campaign_id: str | None


async def claim_reply(
    session: AsyncSession,
    *,
    user_id: int,
    candidate_id: int,
    channel_id: int,
    message_id: int,
    now: datetime,
) -> ReplyClaim:
    receipt = WebhookReceipt(
        received_at=now,
        kind="reply",
        user_id=user_id,
        candidate_id=candidate_id,
        channel_id=channel_id,
        message_id=message_id,
        outcome=RECEIVED,
    )
    session.add(receipt)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        earlier = await session.scalar(
            select(WebhookReceipt).where(
                WebhookReceipt.kind == "reply",
                WebhookReceipt.channel_id == channel_id,
                WebhookReceipt.message_id == message_id,
            )
        )
        assert earlier is not None and earlier.id is not None
        return ReplyClaim(earlier.id, False, earlier.outcome, earlier.campaign_id)
    assert receipt.id is not None
    return ReplyClaim(receipt.id, True, RECEIVED, None)


async def finish(
    session: AsyncSession, receipt_id: int, *, outcome: str, campaign_id: str | None
) -> None:
    await session.execute(
        update(WebhookReceipt)
        .where(WebhookReceipt.id == receipt_id)
        .values(outcome=outcome, campaign_id=campaign_id)
    )
    await session.commit()


async def record(session: AsyncSession, **values: object) -> None:
    session.add(WebhookReceipt(**values))
    await session.commit()
