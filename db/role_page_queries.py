"""Reads of the read model for the dashboard's role page at thousands of candidates.

The page needs, per render: how many of the role's candidates are in each status (one grouped
query), which candidates match the filter and in what order (a narrow query: ids, status and
the sort key, never the wide overview columns), and the wide columns and steps of the one page
shown. "Latest campaign per candidate" is a window over the role's rows, served by the index
`ix_campaigns_role_candidate_created`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Subquery, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.status import ACTIVE_STATUSES, CampaignStatus
from db.campaign_queries import OVERVIEW_COLUMNS
from db.models import Campaign, CampaignStep

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


def _latest_in_role(
    role_id: int,
    *,
    with_next_action: bool = False,
    candidate_ids: Sequence[int] | None = None,
) -> Subquery:
    """Each campaign of the role (of these candidates only, if given) with its rank among its
    candidate's campaigns (1: newest)."""
    newest_first = func.row_number().over(
        partition_by=Campaign.candidate_id,
        order_by=(Campaign.created_at.desc(), Campaign.id.desc()),
    )
    columns = [Campaign.id, Campaign.candidate_id, Campaign.owner_user_id, Campaign.status]
    if with_next_action:
        columns.append(Campaign.next_action_at)
    query = select(*columns, newest_first.label("rank")).where(Campaign.role_id == role_id)
    if candidate_ids is not None:
        # The ids are written into the SQL, not bound: bound, PostgreSQL's generic plan for
        # the prepared statement (chosen from its sixth run on) tests each of the role's rows
        # against the whole list, 36 ms for 500 ids at 6,000 campaigns instead of 4 ms.
        ids = bindparam("candidate_ids", list(candidate_ids), expanding=True, literal_execute=True)
        query = query.where(Campaign.candidate_id.in_(ids))
    return query.subquery("latest")


async def status_counts(session: AsyncSession, role_id: int, owner_user_id: int) -> dict[str, int]:
    """How many of the role's candidates have their latest campaign in each status (only
    campaigns of `owner_user_id`: a candidate whose latest one is another user's has none)."""
    latest = _latest_in_role(role_id)
    rows = await session.execute(
        select(latest.c.status, func.count())
        .where(latest.c.rank == 1, latest.c.owner_user_id == owner_user_id)
        .group_by(latest.c.status)
    )
    return {status: int(count) for status, count in rows.all()}


@dataclass(frozen=True)
class LatestStates:
    """Each candidate's latest campaign in the role, narrowed to what filtering, sorting and
    bulk actions use: plain dicts (thousands of rows per render: no object per row)."""

    campaign_ids: dict[int, str]  # by candidate id
    statuses: dict[int, str]
    next_action_at: dict[int, datetime | None]  # only when asked for (the sort needs it)


async def latest_states(
    session: AsyncSession,
    role_id: int,
    owner_user_id: int,
    statuses: Sequence[str] | None = None,
    *,
    with_next_action: bool = False,
    candidate_ids: Sequence[int] | None = None,
    page: tuple[int, int] | None = None,
    by_next_action: bool = False,
) -> LatestStates:
    """Each candidate's latest campaign of `owner_user_id` in the role, if its status is one
    of `statuses` (None: any); only of `candidate_ids` if given; only the (offset, limit)
    `page` of them if given, by candidate id or, `by_next_action`, by next action (soonest
    first, none last, then by candidate id); the dicts keep that order."""
    with_next_action = with_next_action or by_next_action
    latest = _latest_in_role(
        role_id, with_next_action=with_next_action, candidate_ids=candidate_ids
    )
    columns = [latest.c.candidate_id, latest.c.id, latest.c.status]
    if with_next_action:
        columns.append(latest.c.next_action_at)
    query = select(*columns).where(latest.c.rank == 1, latest.c.owner_user_id == owner_user_id)
    if statuses is not None:
        query = query.where(latest.c.status.in_(list(statuses)))
    if page is not None:
        offset, limit = page
        order = (
            (latest.c.next_action_at.is_(None), latest.c.next_action_at, latest.c.candidate_id)
            if by_next_action
            else (latest.c.candidate_id,)
        )
        query = query.order_by(*order).offset(offset).limit(limit)
    # Through the Core connection: thousands of plain tuples, without the ORM's per-row work.
    rows = (await (await session.connection()).execute(query)).all()
    return LatestStates(
        campaign_ids={row[0]: row[1] for row in rows},
        statuses={row[0]: row[2] for row in rows},
        next_action_at={row[0]: row[3] for row in rows} if with_next_action else {},
    )


async def overview_rows(session: AsyncSession, campaign_ids: Sequence[str]) -> dict[str, Row]:
    """The overview columns of these campaigns (one page's worth), by campaign id."""
    if not campaign_ids:
        return {}
    rows = await session.execute(
        select(*OVERVIEW_COLUMNS).where(Campaign.id.in_(list(campaign_ids)))
    )
    return {row.id: row for row in rows}


async def step_states(session: AsyncSession, campaign_ids: Sequence[str]) -> dict[str, list[Row]]:
    """Each campaign's steps in order, narrowed to type, channel and status (a page's rows
    show a bar of them and whether any message can still be sent)."""
    steps: dict[str, list[Row]] = {campaign_id: [] for campaign_id in campaign_ids}
    if not campaign_ids:
        return steps
    rows = await session.execute(
        select(
            CampaignStep.campaign_id, CampaignStep.type, CampaignStep.channel, CampaignStep.status
        )
        .where(CampaignStep.campaign_id.in_(list(campaign_ids)))
        .order_by(CampaignStep.campaign_id, CampaignStep.position)
    )
    for row in rows:
        steps[row.campaign_id].append(row)
    return steps


async def active_in_other_roles(
    session: AsyncSession, owner_user_id: int, role_id: int, candidate_ids: Sequence[int]
) -> dict[int, int]:
    """For these candidates: the other role of the same user where their active campaign runs
    (a PUT for them here answers 409 CAMPAIGN_ACTIVE)."""
    if not candidate_ids:
        return {}
    rows = await session.execute(
        select(Campaign.candidate_id, Campaign.role_id).where(
            Campaign.owner_user_id == owner_user_id,
            Campaign.role_id != role_id,
            Campaign.candidate_id.in_(list(candidate_ids)),
            Campaign.status.in_(_ACTIVE),
        )
    )
    return dict(rows.all())


@dataclass(frozen=True)
class ChannelHold:
    """Campaigns of a role held at a send because a channel cannot be used."""

    channel_type: str | None  # EMAIL / LINKEDIN; None for rows recorded before the codes
    cause: str | None  # campaigns.status.WaitCause
    campaigns: int


async def channel_holds(
    session: AsyncSession, role_id: int, owner_user_id: int
) -> list[ChannelHold]:
    """The role's campaigns waiting for a channel, counted by channel type and cause."""
    rows = await session.execute(
        select(Campaign.waiting_channel_type, Campaign.waiting_cause, func.count())
        .where(
            Campaign.role_id == role_id,
            Campaign.owner_user_id == owner_user_id,
            Campaign.status == CampaignStatus.WAITING_FOR_CHANNEL.value,
        )
        .group_by(Campaign.waiting_channel_type, Campaign.waiting_cause)
    )
    holds = [ChannelHold(kind, cause, int(count)) for kind, cause, count in rows.all()]
    return sorted(holds, key=lambda h: (-h.campaigns, h.channel_type or "", h.cause or ""))
