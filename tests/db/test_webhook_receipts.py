"""The reply webhook's receipts (db/webhook_store.py), on SQLite and PostgreSQL: one claim per
platform message, however many deliveries of it arrive and however they overlap."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

from sqlalchemy import select

from db import webhook_store
from db.engine import SessionFactory
from db.models import WebhookReceipt

NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)
_messages = itertools.count(5_000)


async def claim(
    sessions: SessionFactory, message_id: int, channel_id: int = 100
) -> webhook_store.ReplyClaim:
    async with sessions() as session:
        return await webhook_store.claim_reply(
            session,
            user_id=1,
            candidate_id=1001,
            channel_id=channel_id,
            message_id=message_id,
            now=NOW,
        )


async def receipts(sessions: SessionFactory, message_id: int) -> list[WebhookReceipt]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(WebhookReceipt).where(WebhookReceipt.message_id == message_id)
            )
        )


async def test_a_message_is_claimed_once_and_a_later_delivery_reads_its_outcome(
    sessions: SessionFactory,
) -> None:
    message = next(_messages)
    first = await claim(sessions, message)
    assert first.first and first.outcome == webhook_store.RECEIVED and first.campaign_id is None

    # Not finished yet (the first delivery failed half-way): a retry sees it still RECEIVED.
    retry = await claim(sessions, message)
    assert (retry.receipt_id, retry.first, retry.outcome) == (
        first.receipt_id,
        False,
        webhook_store.RECEIVED,
    )

    async with sessions() as session:
        await webhook_store.finish(
            session, first.receipt_id, outcome="SIGNALLED", campaign_id="campaign-1"
        )
    replayed = await claim(sessions, message)
    assert (replayed.receipt_id, replayed.first) == (first.receipt_id, False)
    assert (replayed.outcome, replayed.campaign_id) == ("SIGNALLED", "campaign-1")

    [row] = await receipts(sessions, message)
    assert (row.kind, row.user_id, row.candidate_id, row.channel_id) == ("reply", 1, 1001, 100)
    assert (row.outcome, row.campaign_id, row.received_at) == ("SIGNALLED", "campaign-1", NOW)


async def test_deliveries_of_one_message_at_once_make_one_first_claim(
    sessions: SessionFactory,
) -> None:
    message = next(_messages)
    claims = await asyncio.gather(*(claim(sessions, message) for _ in range(8)))
    assert sum(c.first for c in claims) == 1
    assert len({c.receipt_id for c in claims}) == 1
    assert len(await receipts(sessions, message)) == 1


async def test_the_same_message_id_on_another_channel_is_another_message(
    sessions: SessionFactory,
) -> None:
    message = next(_messages)
    email, linkedin = await claim(sessions, message, 100), await claim(sessions, message, 101)
    assert email.first and linkedin.first and email.receipt_id != linkedin.receipt_id
