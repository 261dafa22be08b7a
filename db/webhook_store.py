"""Receipts of the platform's webhooks: what arrived and what the API did with it.

A reply webhook is claimed once per platform message before anything acts on it, so a repeated
or replayed delivery changes nothing. A claim stays `RECEIVED` until its outcome is written:
a delivery that failed half-way (Temporal down) is processed again when the platform retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebhookReceipt
from db.upsert import dialect_insert

RECEIVED = "RECEIVED"  # claimed, outcome not written yet
RECEIPTS = WebhookReceipt.__table__


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
    insert_receipt = _claim_statement(session.get_bind().dialect.name)
    # One round trip: the new receipt's id, or none when this message was received before.
    receipt_id = await session.scalar(
        insert_receipt,
        {
            "received_at": now,
            "kind": "reply",
            "user_id": user_id,
            "candidate_id": candidate_id,
            "channel_id": channel_id,
            "message_id": message_id,
            "outcome": RECEIVED,
        },
    )
    if receipt_id is not None:
        await session.commit()
        return ReplyClaim(receipt_id, True, RECEIVED, None)
    earlier = (
        await session.execute(
            select(RECEIPTS.c.id, RECEIPTS.c.outcome, RECEIPTS.c.campaign_id).where(
                RECEIPTS.c.kind == "reply",
                RECEIPTS.c.channel_id == channel_id,
                RECEIPTS.c.message_id == message_id,
            )
        )
    ).one()
    await session.commit()
    return ReplyClaim(earlier.id, False, earlier.outcome, earlier.campaign_id)


async def finish(
    session: AsyncSession, receipt_id: int, *, outcome: str, campaign_id: str | None
) -> None:
    await session.execute(
        _FINISH_RECEIPT,
        {"receipt_id": receipt_id, "outcome": outcome, "campaign_id": campaign_id},
    )
    await session.commit()


# Built once, as the read model's and the ledger's statements are: one built per call costs
# its construction and its cache key every time. The update is the same in both dialects.
_FINISH_RECEIPT = (
    update(RECEIPTS)
    .where(RECEIPTS.c.id == bindparam("receipt_id"))
    .values(outcome=bindparam("outcome"), campaign_id=bindparam("campaign_id"))
)


@cache
def _claim_statement(dialect: str) -> Any:
    """The claim's insert for `dialect`: the new receipt's id, none on a repeated message."""
    return (
        dialect_insert(dialect, RECEIPTS)
        .on_conflict_do_nothing(index_elements=["kind", "channel_id", "message_id"])
        .returning(RECEIPTS.c.id)
    )


async def record(session: AsyncSession, **values: object) -> None:
    session.add(WebhookReceipt(**values))
    await session.commit()
