"""The reply part's watch on the read model: a reply returns once its candidate's campaign
reads REPLIED (a change made while it waits included), not while the campaign runs, and
at once with the reason when the read model cannot be read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.replied_watch import RepliedWatch
from campaigns.status import CampaignStatus
from db.engine import SessionFactory, create_engine
from db.models import Campaign
from tests.db.snapshots import campaign_row, new_candidate_id


async def test_a_reply_returns_once_its_campaign_reads_replied(
    engine: AsyncEngine, sessions: SessionFactory
) -> None:
    replied, running = new_candidate_id(), new_candidate_id()
    async with sessions() as session:
        session.add_all(
            [
                campaign_row(replied, CampaignStatus.RUNNING),
                campaign_row(running, CampaignStatus.RUNNING),
            ]
        )
        await session.commit()

    async with RepliedWatch.polling(engine) as watch:
        waiting = asyncio.create_task(watch.replied(replied, timeout=30))
        await asyncio.sleep(0.1)
        assert not waiting.done()  # still RUNNING: polled, not answered
        async with sessions() as session:
            await session.execute(
                update(Campaign)
                .where(Campaign.candidate_id == replied)
                .values(status=CampaignStatus.REPLIED.value)
            )
            await session.commit()
        await asyncio.wait_for(waiting, 5)

        with pytest.raises(TimeoutError, match=f"candidate {running} never REPLIED"):
            await watch.replied(running, timeout=0.3)


async def test_a_failing_poll_fails_the_waiting_reply_at_once(tmp_path: Path) -> None:
    empty = create_engine(f"sqlite+aiosqlite:///{tmp_path}/no-tables.db")
    try:
        with pytest.raises(OperationalError, match="no such table"):
            async with RepliedWatch.polling(empty) as watch:
                await watch.replied(new_candidate_id(), timeout=60)
    finally:
        await empty.dispose()
