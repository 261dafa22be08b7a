"""Reads of the read model for the API and the dashboard."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.status import ACTIVE_STATUSES
from db.models import Campaign, CampaignEventRow, CampaignStep


async def latest_for_candidate(
    session: AsyncSession, role_id: int, candidate_id: int
) -> Campaign | None:
    return await session.scalar(
        select(Campaign)
        .where(Campaign.role_id == role_id, Campaign.candidate_id == candidate_id)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        .limit(1)
    )


async def active_of_owner(session: AsyncSession, owner_user_id: int) -> list[tuple[int, int]]:
    """(role id, candidate id) of every active campaign of a user, by candidate."""
    rows = await session.execute(
        select(Campaign.role_id, Campaign.candidate_id)
        .where(
            Campaign.owner_user_id == owner_user_id,
            Campaign.status.in_([s.value for s in ACTIVE_STATUSES]),
        )
        .order_by(Campaign.candidate_id)
    )
    return [(role_id, candidate_id) for role_id, candidate_id in rows.all()]


async def count_active_for_candidate(session: AsyncSession, candidate_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Campaign)
            .where(
                Campaign.candidate_id == candidate_id,
                Campaign.status.in_([s.value for s in ACTIVE_STATUSES]),
            )
        )
        or 0
    )


# The columns a row of the role overview shows: never the (large) definition.
OVERVIEW_COLUMNS = (
    Campaign.id,
    Campaign.candidate_id,
    Campaign.owner_user_id,
    Campaign.status,
    Campaign.created_at,
    Campaign.steps_total,
    Campaign.steps_done,
    Campaign.last_action,
    Campaign.last_action_channel,
    Campaign.last_action_at,
    Campaign.next_action,
    Campaign.next_action_channel,
    Campaign.next_action_at,
    Campaign.started_at,
    Campaign.ends_at,
    Campaign.ended_at,
    Campaign.waiting_reason,
    Campaign.waiting_channel,
    Campaign.waiting_time_zone,
)


async def latest_per_candidate(session: AsyncSession, role_id: int) -> dict[int, Row]:
    """Each candidate's newest campaign in a role (overview columns only), in one indexed scan."""
    rows = await session.execute(
        select(*OVERVIEW_COLUMNS)
        .where(Campaign.role_id == role_id)
        .order_by(Campaign.candidate_id, Campaign.created_at)
    )
    # Ordered by creation, so the last row seen for a candidate is its newest campaign.
    return {row.candidate_id: row for row in rows}


async def steps_of(
    session: AsyncSession, campaign_ids: Sequence[str]
) -> dict[str, list[CampaignStep]]:
    result: dict[str, list[CampaignStep]] = {cid: [] for cid in campaign_ids}
    if not campaign_ids:
        return result
    rows = await session.scalars(
        select(CampaignStep)
        .where(CampaignStep.campaign_id.in_(list(campaign_ids)))
        .order_by(CampaignStep.campaign_id, CampaignStep.position)
    )
    for row in rows:
        result[row.campaign_id].append(row)
    return result


async def events_of(session: AsyncSession, campaign_id: str) -> Sequence[CampaignEventRow]:
    return (
        await session.scalars(
            select(CampaignEventRow)
            .where(CampaignEventRow.campaign_id == campaign_id)
            .order_by(CampaignEventRow.seq)
        )
    ).all()


async def active_page(
    session: AsyncSession, after_candidate_id: int | None, limit: int
) -> Sequence[Row]:
    """A page of active campaigns for the reply watcher, by candidate (one active campaign per
    candidate, so the partial unique index serves the scan)."""
    query = (
        select(
            Campaign.id,
            Campaign.candidate_id,
            Campaign.owner_user_id,
            Campaign.workflow_id,
            Campaign.run_id,
            Campaign.started_at,
        )
        .where(Campaign.status.in_([s.value for s in ACTIVE_STATUSES]))
        .where(Campaign.started_at.is_not(None))
        .order_by(Campaign.candidate_id)
        .limit(limit)
    )
    if after_candidate_id is not None:
        query = query.where(Campaign.candidate_id > after_candidate_id)
    return (await session.execute(query)).all()


async def waiting_for_channel(
    session: AsyncSession, owner_user_id: int, channel_type: str
) -> Sequence[Campaign]:
    return (
        await session.scalars(
            select(Campaign).where(
                Campaign.owner_user_id == owner_user_id,
                Campaign.status == "WAITING_FOR_CHANNEL",
                Campaign.waiting_channel_type == channel_type,
            )
        )
    ).all()


async def status_counts_by_role(
    session: AsyncSession, owner_user_id: int
) -> dict[int, dict[str, int]]:
    """For the roles page: how many candidates of each role have their latest campaign in each
    status (as the role page's status filter counts them: a candidate whose campaign was
    cancelled and who has a new one running counts once, as running)."""
    latest = (
        select(
            Campaign.role_id,
            Campaign.candidate_id,
            func.max(Campaign.created_at).label("created_at"),
        )
        .where(Campaign.owner_user_id == owner_user_id)
        .group_by(Campaign.role_id, Campaign.candidate_id)
        .subquery()
    )
    rows = await session.execute(
        select(Campaign.role_id, Campaign.status, func.count())
        .join(
            latest,
            (Campaign.role_id == latest.c.role_id)
            & (Campaign.candidate_id == latest.c.candidate_id)
            & (Campaign.created_at == latest.c.created_at),
        )
        .where(Campaign.owner_user_id == owner_user_id)
        .group_by(Campaign.role_id, Campaign.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for role_id, status, count in rows:
        counts.setdefault(role_id, {})[status] = count
    return counts


async def roles_and_candidates_of(
    session: AsyncSession, owner_user_id: int, campaign_ids: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """For the sending page's links: each of the owner's campaigns as (role_id, candidate_id)."""
    if not campaign_ids:
        return {}
    rows = await session.execute(
        select(Campaign.id, Campaign.role_id, Campaign.candidate_id).where(
            Campaign.owner_user_id == owner_user_id, Campaign.id.in_(list(set(campaign_ids)))
        )
    )
    return {campaign_id: (role_id, candidate_id) for campaign_id, role_id, candidate_id in rows}


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """For the metrics: how many campaigns are in each status."""
    rows = await session.execute(select(Campaign.status, func.count()).group_by(Campaign.status))
    return dict(rows.all())


async def waiting_counts(session: AsyncSession) -> dict[str, int]:
    """For the metrics: how many active campaigns wait, by cause (campaigns.status.WaitCause)."""
    rows = await session.execute(
        select(Campaign.waiting_cause, func.count())
        .where(
            Campaign.status.in_([s.value for s in ACTIVE_STATUSES]),
            Campaign.waiting_cause.is_not(None),
        )
        .group_by(Campaign.waiting_cause)
    )
    return dict(rows.all())
