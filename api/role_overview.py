"""The role overview's rows: one per candidate of the role with their latest campaign's status
and progress, filtered and sorted (no I/O: `CampaignService.role_overview` reads and pages)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Row

from api.campaign_views import overview_words
from api.schemas import RoleCampaignRow
from campaigns.status import StepStatus
from db.models import CampaignStep
from recruiting_platform import Candidate

# A candidate and their latest campaign's overview columns (None: none of the caller's).
Entry = tuple[Candidate, Row | None]

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def overview_entries(
    candidates: Iterable[Candidate],
    latest: Mapping[int, Row],
    *,
    owner_user_id: int,
    status: str | None,
    sort: str,
) -> list[Entry]:
    """Every candidate with their latest campaign if the caller owns it, filtered by the
    comma-separated `status` list (NONE: without a campaign) and sorted."""
    entries = [
        (c, row if row is not None and row.owner_user_id == owner_user_id else None)
        for c in candidates
        for row in (latest.get(c.id),)
    ]
    if status:
        wanted = {s.strip().upper() for s in status.split(",") if s.strip()}
        entries = [e for e in entries if (e[1].status if e[1] else "NONE") in wanted]
    entries.sort(key=_sort_key(sort))
    return entries


def _sort_key(sort: str):
    if sort == "next_action":
        return lambda e: ((e[1] and e[1].next_action_at) or _FAR_FUTURE, e[0].id)
    return lambda e: e[0].id


def overview_row(candidate: Candidate, campaign: Row | None) -> RoleCampaignRow:
    person = {
        "candidate_id": candidate.id,
        "first_name": candidate.firstName,
        "last_name": candidate.lastName,
        "has_email": bool(candidate.email),
        "has_linkedin": bool(candidate.linkedin),
    }
    if campaign is None:
        return RoleCampaignRow.model_validate({**person, "status": "NONE"})
    return RoleCampaignRow.model_validate(
        {
            **campaign._mapping,
            **overview_words(campaign, datetime.now(UTC)),
            **person,
            "campaign_id": campaign.id,
        }
    )


def with_step_statuses(row: RoleCampaignRow, steps: Sequence[CampaignStep]) -> None:
    """Each step's status in order, and how many were sent or skipped."""
    row.step_statuses = [s.status for s in steps]
    row._message_statuses = [s.status for s in steps if s.type == "message"]
    row.steps_sent = row.step_statuses.count(StepStatus.SENT.value)
    row.steps_skipped = row.step_statuses.count(StepStatus.SKIPPED.value)
