"""The role overview: one row per candidate of the role with their latest campaign's status
and progress, filtered, sorted and paged."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Row

from api.cursor import decode_cursor, encode_cursor
from api.platform_access import Caller, load_candidates
from api.schemas import RoleCampaignPage, RoleCampaignRow
from api.services import AppServices
from campaigns.status import StepStatus
from db import campaign_queries
from recruiting_platform import Candidate

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


async def overview_page(
    services: AppServices,
    caller: Caller,
    role_id: int,
    *,
    status: str | None = None,
    sort: str = "candidate",
    cursor: str | None = None,
    limit: int = 50,
) -> RoleCampaignPage:
    # 404 if the role is not theirs; a few seconds old is fine for a listing.
    candidates = await load_candidates(services, caller, role_id, cached=True)
    async with services.sessions() as session:
        latest = await campaign_queries.latest_per_candidate(session, role_id)
    owner = caller.user.id
    entries = [
        (c, row if row is not None and row.owner_user_id == owner else None)
        for c in candidates
        for row in (latest.get(c.id),)
    ]
    if status:
        wanted = {s.strip().upper() for s in status.split(",") if s.strip()}
        entries = [e for e in entries if (e[1].status if e[1] else "NONE") in wanted]
    entries.sort(key=_sort_key(sort))
    start = decode_cursor(cursor)
    page = [_overview_row(candidate, row) for candidate, row in entries[start : start + limit]]
    async with services.sessions() as session:
        steps = await campaign_queries.steps_of(
            session, [r.campaignId for r in page if r.campaignId]
        )
    for row in page:
        if row.campaignId:
            row.stepStatuses = [s.status for s in steps.get(row.campaignId, [])]
            row.stepsSent = row.stepStatuses.count(StepStatus.SENT.value)
            row.stepsSkipped = row.stepStatuses.count(StepStatus.SKIPPED.value)
    following = start + limit
    return RoleCampaignPage(
        roleId=role_id,
        items=page,
        nextCursor=encode_cursor(following) if following < len(entries) else None,
        total=len(entries),
    )


def _sort_key(sort: str):
    if sort == "next_action":
        return lambda e: ((e[1] and e[1].next_action_at) or _FAR_FUTURE, e[0].id)
    return lambda e: e[0].id


def _overview_row(candidate: Candidate, campaign: Row | None) -> RoleCampaignRow:
    row = RoleCampaignRow(
        candidateId=candidate.id,
        firstName=candidate.firstName,
        lastName=candidate.lastName,
        hasEmail=bool(candidate.email),
        hasLinkedin=bool(candidate.linkedin),
        status="NONE",
    )
    if campaign is None:
        return row
    row.campaignId = campaign.id
    row.status = campaign.status
    row.stepsTotal, row.stepsDone = campaign.steps_total, campaign.steps_done
    row.lastAction, row.lastActionAt = campaign.last_action, campaign.last_action_at
    row.nextAction, row.nextActionAt = campaign.next_action, campaign.next_action_at
    row.startedAt, row.endsAt, row.endedAt = (
        campaign.started_at,
        campaign.ends_at,
        campaign.ended_at,
    )
    row.waitingReason = campaign.waiting_reason
    return row
