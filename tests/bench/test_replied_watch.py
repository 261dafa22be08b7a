"""The reply part's watch on the read model: a reply returns once its candidate's campaign
reads REPLIED (a change made while it waits included, or just before it began to wait), not
while the campaign runs, and at once with the reason when the read model cannot be read. On
PostgreSQL the database notifies the watch; its trigger lives only as long as the watch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.replied_watch import CHANNEL, RepliedWatch
from campaigns.status import CampaignStatus
from db.engine import SessionFactory, create_engine
from db.models import Campaign
from tests.conftest import end_connections
from tests.db.snapshots import campaign_row, new_candidate_id


async def add_running(sessions: SessionFactory, *candidate_ids: int) -> None:
    async with sessions() as session:
        session.add_all(campaign_row(c, CampaignStatus.RUNNING) for c in candidate_ids)
        await session.commit()


async def mark_replied(sessions: SessionFactory, candidate_id: int) -> None:
    async with sessions() as session:
        await session.execute(
            update(Campaign)
            .where(Campaign.candidate_id == candidate_id)
            .values(status=CampaignStatus.REPLIED.value)
        )
        await session.commit()


async def test_a_reply_returns_once_its_campaign_reads_replied(
    engine: AsyncEngine, sessions: SessionFactory
) -> None:
    replied, running = new_candidate_id(), new_candidate_id()
    await add_running(sessions, replied, running)

    async with RepliedWatch.watching(engine) as watch:
        waiting = asyncio.create_task(watch.replied(replied, timeout=30))
        await asyncio.sleep(0.1)
        assert not waiting.done()  # still RUNNING
        await mark_replied(sessions, replied)
        await asyncio.wait_for(waiting, 5)

        with pytest.raises(TimeoutError, match=f"candidate {running} never REPLIED"):
            await watch.replied(running, timeout=0.3)


async def test_a_campaign_that_turned_replied_before_the_wait_began_is_seen(
    engine: AsyncEngine, sessions: SessionFactory
) -> None:
    """The simulator answers the reply once the webhook is handled: the campaign may read
    REPLIED before the harness starts to wait for it."""
    candidate = new_candidate_id()
    await add_running(sessions, candidate)
    async with RepliedWatch.watching(engine) as watch:
        await mark_replied(sessions, candidate)
        await asyncio.sleep(0.1)
        await watch.replied(candidate, timeout=5)


async def test_a_failing_poll_fails_the_waiting_reply_at_once(tmp_path: Path) -> None:
    empty = create_engine(f"sqlite+aiosqlite:///{tmp_path}/no-tables.db")
    try:
        with pytest.raises(OperationalError, match="no such table"):
            async with RepliedWatch.polling(empty) as watch:
                await watch.replied(new_candidate_id(), timeout=60)
    finally:
        await empty.dispose()


@pytest.fixture
async def running_on_postgres(sessions: SessionFactory, database_kind: str) -> int:
    """A candidate whose campaign runs, in a PostgreSQL read model."""
    if database_kind != "postgresql":
        pytest.skip("PostgreSQL's notifications")
    candidate = new_candidate_id()
    await add_running(sessions, candidate)
    return candidate


async def test_postgres_notifies_while_watched_and_keeps_no_trigger_after(
    engine: AsyncEngine, sessions: SessionFactory, running_on_postgres: int
) -> None:
    candidate = running_on_postgres
    async with RepliedWatch.watching(engine) as watch:
        assert await trigger_and_function(engine) == (1, 1)
        waiting = asyncio.create_task(watch.replied(candidate, timeout=30))
        await mark_replied(sessions, candidate)
        await asyncio.wait_for(waiting, 5)
    assert await trigger_and_function(engine) == (0, 0)


async def trigger_and_function(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        triggers = await connection.scalar(
            text("SELECT count(*) FROM pg_trigger WHERE tgname = :name"), {"name": CHANNEL}
        )
        functions = await connection.scalar(
            text("SELECT count(*) FROM pg_proc WHERE proname = :name"), {"name": CHANNEL}
        )
    return triggers, functions


async def test_a_lost_notification_connection_fails_the_waiting_reply_at_once(
    engine: AsyncEngine, running_on_postgres: int
) -> None:
    candidate = running_on_postgres
    with pytest.raises(ConnectionError, match="connection to the read model closed"):
        async with RepliedWatch.watching(engine) as watch:
            waiting = asyncio.create_task(watch.replied(candidate, timeout=60))
            await asyncio.sleep(0.05)
            await end_connections(engine.url.database)
            await asyncio.wait_for(waiting, 10)
    assert await trigger_and_function(engine) == (0, 0)  # removed on a new connection
