"""The roles page's counts: each candidate once, by their latest campaign's status, per role."""

from __future__ import annotations

from datetime import timedelta

from campaigns.status import CampaignStatus
from db.campaign_queries import status_counts_by_role
from db.engine import SessionFactory
from db.models import Campaign
from tests.db.snapshots import OWNER_ID, ROLE_ID, campaign_row, new_candidate_id

OTHER_ROLE = ROLE_ID + 1


def _campaign(
    candidate_id: int, status: CampaignStatus, *, days_ago: int = 0, role_id: int = ROLE_ID
) -> Campaign:
    row = campaign_row(candidate_id, status)
    row.role_id = role_id
    row.created_at -= timedelta(days=days_ago)
    return row


async def test_a_candidate_counts_once_by_their_latest_campaign_in_each_role(
    sessions: SessionFactory,
) -> None:
    again, replied, elsewhere = new_candidate_id(), new_candidate_id(), new_candidate_id()
    async with sessions() as session:
        session.add_all(
            [
                # Cancelled 40 days ago, started again since: counts as running only.
                _campaign(again, CampaignStatus.CANCELLED, days_ago=40),
                _campaign(again, CampaignStatus.RUNNING),
                _campaign(replied, CampaignStatus.REPLIED, days_ago=3),
                _campaign(elsewhere, CampaignStatus.COMPLETED, days_ago=35, role_id=OTHER_ROLE),
            ]
        )
        await session.commit()
        counts = await status_counts_by_role(session, OWNER_ID)
        others = await status_counts_by_role(session, OWNER_ID + 1)
    assert counts == {
        ROLE_ID: {"RUNNING": 1, "REPLIED": 1},
        OTHER_ROLE: {"COMPLETED": 1},
    }
    assert others == {}
