"""The Campaign Executor API the recruiting platform and the dashboard code against."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status

from api.campaign_views import campaign_path
from api.deps import AuthenticatedRoute, CallerDep, CampaignServiceDep
from api.errors import responses
from api.schemas import (
    BulkControlResult,
    CampaignStarted,
    CampaignState,
    CampaignView,
    CancelResult,
    PauseBody,
    RoleCampaignPage,
)
from api.telemetry import MetricsDep
from campaigns.definition import CampaignDefinition

router = APIRouter(
    tags=["campaigns"], route_class=AuthenticatedRoute, responses=responses(401, 429)
)

BRIEF_EXAMPLE: dict[str, Any] = {
    "nodes": [
        {
            "id": 1,
            "type": "message",
            "channel": "LINKEDIN_MESSAGE",
            "message": "Hi Milan, \nI'm interested in you background as Senior Software Engineer "
            "at Showpad. I'm looking for people like you for our role of Software Engineer with "
            "Startup Experience. \nWould love to connect.",
        },
        {
            "id": 2,
            "type": "message",
            "channel": "GMAIL",
            "subject_line": "Open to new opportunities?",
            "message": "Hi Milan,\nI came across your profile and was impressed with your work. "
            "Would you be open to discussing this opportunity?\n\nBest,Andreas",
        },
        {"id": 3, "type": "delay-step", "delaySeconds": 172800},
        {
            "id": 4,
            "type": "message",
            "channel": "GMAIL",
            "subject_line": "Re: Open to new opportunities?",
            "message": "Hi Milan,\nI wanted to follow up on my previous email. Could we arrange "
            "a short call?\n\n\nBest,Andreas",
        },
        {"id": 5, "type": "delay-step", "delaySeconds": 432000},
        {
            "id": 6,
            "type": "message",
            "channel": "GMAIL",
            "subject_line": "Re: Open to new opportunities?",
            "message": "Hi Milan,\nHope you're well. Are you available for a quick chat this "
            "week?\n\n\nBest,Andreas",
        },
    ]
}

DefinitionBody = Annotated[
    CampaignDefinition,
    Body(openapi_examples={"brief": {"summary": "The brief's example", "value": BRIEF_EXAMPLE}}),
]


@router.put(
    "/role/{roleId}/candidate/{candidateId}/campaign",
    response_model=CampaignStarted,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": CampaignStarted, "description": "The same definition is already running"},
        **responses(401, 404, 409, 413, 422, 503),
    },
)
async def put_campaign(
    roleId: int,  # the brief's path parameter names
    candidateId: int,
    definition: DefinitionBody,
    caller: CallerDep,
    campaigns: CampaignServiceDep,
    metrics: MetricsDep,
    response: Response,
    replace: Annotated[
        bool, Query(description="Cancel a different active campaign and start this one")
    ] = False,
) -> CampaignStarted:
    """Start the candidate's campaign at once (idempotent for the same definition)."""
    started = await campaigns.start(caller, roleId, candidateId, definition, replace=replace)
    response.status_code = status.HTTP_201_CREATED if started.created else status.HTTP_200_OK
    if started.created:
        metrics.campaigns_started.inc()
    response.headers["Location"] = campaign_path(roleId, candidateId)
    return started


@router.get(
    "/role/{roleId}/candidate/{candidateId}/campaign",
    response_model=CampaignView,
    responses=responses(401, 404, 503),
)
async def get_campaign(
    roleId: int,
    candidateId: int,
    caller: CallerDep,
    campaigns: CampaignServiceDep,
) -> CampaignView:
    """The candidate's latest campaign: status, steps, messages, reply and what comes next."""
    return await campaigns.view(caller, roleId, candidateId)


@router.delete(
    "/role/{roleId}/candidate/{candidateId}/campaign",
    response_model=CancelResult,
    responses={202: {"model": CancelResult, "description": "Cancellation requested"}}
    | responses(401, 404, 503),
)
async def delete_campaign(
    roleId: int,
    candidateId: int,
    caller: CallerDep,
    campaigns: CampaignServiceDep,
    response: Response,
) -> CancelResult:
    """Cancel the candidate's active campaign; repeating it is harmless."""
    result = await campaigns.cancel(caller, roleId, candidateId)
    if result.status == "CANCELLING":
        response.status_code = status.HTTP_202_ACCEPTED
    return result


@router.post(
    "/role/{roleId}/candidate/{candidateId}/campaign/pause",
    response_model=CampaignState,
    responses=responses(401, 404, 409, 422, 503),
)
async def pause_campaign(
    roleId: int,
    candidateId: int,
    caller: CallerDep,
    campaigns: CampaignServiceDep,
    body: Annotated[PauseBody | None, Body()] = None,
) -> CampaignState:
    """Pause the candidate's active campaign: it sends nothing until resumed, or until
    `until`. Pausing again moves the resume date. The 30-day limit still applies."""
    return await campaigns.pause(caller, roleId, candidateId, body.until if body else None)


@router.post(
    "/role/{roleId}/candidate/{candidateId}/campaign/resume",
    response_model=CampaignState,
    responses=responses(401, 404, 409, 503),
)
async def resume_campaign(
    roleId: int, candidateId: int, caller: CallerDep, campaigns: CampaignServiceDep
) -> CampaignState:
    """Resume the paused campaign: a message that fell due meanwhile goes out first (in the
    send window), and the delays after it count from then."""
    return await campaigns.resume(caller, roleId, candidateId)


@router.post(
    "/campaigns/pause", response_model=BulkControlResult, responses=responses(401, 422, 503)
)
async def pause_all_campaigns(
    caller: CallerDep,
    campaigns: CampaignServiceDep,
    body: Annotated[PauseBody | None, Body()] = None,
) -> BulkControlResult:
    """Pause every active campaign of the caller (a vacation), optionally until a date."""
    until = body.until if body else None
    return await campaigns.pause_all(caller, until)


@router.post("/campaigns/resume", response_model=BulkControlResult, responses=responses(401, 503))
async def resume_all_campaigns(
    caller: CallerDep, campaigns: CampaignServiceDep
) -> BulkControlResult:
    """Resume every paused campaign of the caller."""
    return await campaigns.resume_all(caller)


@router.get(
    "/role/{roleId}/campaigns",
    response_model=RoleCampaignPage,
    responses=responses(401, 404, 422, 503),
)
async def list_role_campaigns(
    roleId: int,
    caller: CallerDep,
    campaigns: CampaignServiceDep,
    status_filter: Annotated[
        str | None,
        Query(
            alias="status",
            description="Comma-separated statuses (RUNNING, WAITING_FOR_CHANNEL, REPLIED, "
            "COMPLETED, CANCELLED, FAILED, NONE)",
        ),
    ] = None,
    sort: Annotated[str, Query(pattern="^(candidate|next_action)$")] = "candidate",
    cursor: Annotated[str | None, Query(description="`nextCursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RoleCampaignPage:
    """One row per candidate of the role with their latest campaign's status and progress."""
    return await campaigns.role_overview(
        caller, roleId, status=status_filter, sort=sort, cursor=cursor, limit=limit
    )
