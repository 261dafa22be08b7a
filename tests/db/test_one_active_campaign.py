"""The database itself allows one active campaign per candidate (a partial unique index)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from campaigns.status import ACTIVE_STATUSES, CampaignStatus
from db.campaign_queries import count_active_for_candidate
from db.engine import SessionFactory
from db.models import Campaign
from tests.db.snapshots import campaign_row, new_candidate_id

ACTIVE = sorted(ACTIVE_STATUSES)
ENDED = sorted(set(CampaignStatus) - ACTIVE_STATUSES)


@pytest.mark.parametrize("second", ACTIVE)
@pytest.mark.parametrize("first", ACTIVE)
async def test_a_second_active_campaign_for_a_candidate_is_refused(
    sessions: SessionFactory, first: CampaignStatus, second: CampaignStatus
) -> None:
    candidate_id = new_candidate_id()
    async with sessions() as session:
        session.add(campaign_row(candidate_id, first))
        await session.commit()
        session.add(campaign_row(candidate_id, second))
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        assert await count_active_for_candidate(session, candidate_id) == 1


async def test_ended_campaigns_of_a_candidate_are_not_limited(sessions: SessionFactory) -> None:
    candidate_id = new_candidate_id()
    async with sessions() as session:
        session.add_all(campaign_row(candidate_id, status) for status in ENDED * 2)
        session.add(campaign_row(candidate_id, CampaignStatus.RUNNING))
        await session.commit()
        assert await count_active_for_candidate(session, candidate_id) == 1


async def test_an_ended_campaign_frees_the_candidate_for_a_new_one(
    sessions: SessionFactory,
) -> None:
    candidate_id = new_candidate_id()
    async with sessions() as session:
        first = campaign_row(candidate_id, CampaignStatus.WAITING_FOR_CHANNEL)
        session.add(first)
        await session.commit()
        await session.execute(
            update(Campaign)
            .where(Campaign.id == first.id)
            .values(status=CampaignStatus.REPLIED.value)
        )
        session.add(campaign_row(candidate_id, CampaignStatus.RUNNING))
        await session.commit()
        assert await count_active_for_candidate(session, candidate_id) == 1


async def test_other_candidates_are_not_affected(sessions: SessionFactory) -> None:
    async with sessions() as session:
        session.add_all(campaign_row(new_candidate_id(), CampaignStatus.RUNNING) for _ in range(3))
        await session.commit()
