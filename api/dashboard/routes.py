"""The recruiter dashboard: sign-in, roles, role overview, campaign detail and cancel, and
the user's sending settings with their use.

Server-rendered pages over the API's own read path: `CampaignService` (role overview, view,
cancel; the same dependency the API's routes use) and the read-model queries. A page showing a
campaign that still runs polls a `/live` fragment of itself every few seconds (dashboard.js)
and stops once nothing is active.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.dashboard import presenters, role_page, sending
from api.dashboard.access import (
    COOKIE_PATH,
    HOME,
    SIGN_IN,
    DashboardCaller,
    DashboardRoute,
    SignedInCaller,
    SignInRequired,
    clear_session,
    keys_of,
    require_csrf,
    require_same_origin,
    safe_next,
    stored_session,
)
from api.dashboard.flash import notice_shown, pending_notice, redirect_with_notice
from api.dashboard.live import live_response
from api.dashboard.session import COOKIE_NAME, SESSION_MAX_AGE_SECONDS
from api.dashboard.templating import STATIC_DIR, STATIC_PATH, render, templates
from api.deps import CampaignServiceDep, ServicesDep
from api.errors import ApiError
from api.platform_access import (
    Caller,
    load_candidate,
    load_candidates,
    load_role,
    platform_unavailable,
    resolve_user,
)
from api.rate_limits import client_ip
from api.schemas import CampaignView
from campaigns.definition import ChannelType
from db import campaign_queries, dashboard_sessions
from db.send_ledger import usage, waiting_sends
from db.sending_settings import load_settings, save_settings
from recruiting_platform import Candidate, PlatformError, PlatformUnauthorized, Role

templates.env.globals.update(
    row_progress=presenters.row_progress,
    status_badge=presenters.status_badge,
    is_active=presenters.is_active,
)

router = APIRouter(include_in_schema=False)
pages = APIRouter(prefix=HOME, route_class=DashboardRoute, include_in_schema=False)


_NOTICES = {
    "cancelled": "Campaign cancelled. No more messages will be sent.",
    "cancelling": "Cancellation requested; the campaign stops in a moment.",
    "ended": "This campaign had already ended; nothing was cancelled.",
    "paused": "Campaign paused. Nothing is sent until you resume it.",
    "paused_until": "Campaign paused. It resumes by itself on the date you chose.",
    "resumed": "Campaign resumed. A message that fell due meanwhile goes out first.",
    "not_paused": "This campaign has ended; it was not paused or resumed.",
    "bad_date": "Nothing changed: the resume date must be a date after today.",
}


# --- sign-in ------------------------------------------------------------------------------


@router.get("/")
async def root() -> RedirectResponse:
    """The dashboard is the site's front page."""
    return RedirectResponse(HOME, status_code=307)


@pages.get("/login")
async def sign_in_form(
    request: Request, services: ServicesDep, next_path: Annotated[str, Query(alias="next")] = ""
) -> Response:
    """The token form; a signed-in visitor goes straight on."""
    if await stored_session(request, services):
        return RedirectResponse(safe_next(next_path), status_code=303)
    return render(request, "login.html", None, next_path=safe_next(next_path), error=None)


@pages.post("/login")
async def sign_in(
    request: Request,
    services: ServicesDep,
    token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the platform token like the API does, then start a session (its id in a cookie)."""
    require_same_origin(request)
    await services.rate_limits.check_sign_in(client_ip(request))
    token = token.strip()
    try:
        user = await resolve_user(services, token or None)
    except ApiError as error:
        message = (
            "The recruiting platform did not accept this token."
            if error.status == 401
            else error.message
        )
        return render(
            request,
            "login.html",
            None,
            status_code=error.status,
            next_path=safe_next(next_path),
            error=message,
        )
    keys = keys_of(services)
    started = keys.new_session()
    now = datetime.now(UTC)
    async with services.sessions() as session:
        await dashboard_sessions.create(
            session,
            id_hash=started.id_hash,
            user_id=user.id,
            token_ciphertext=keys.encrypt(token),
            now=now,
            expires_at=now + timedelta(seconds=SESSION_MAX_AGE_SECONDS),
        )
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        started.cookie,
        max_age=SESSION_MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or services.settings.environment == "production",
    )
    return response


@pages.post("/logout")
async def sign_out(
    request: Request, services: ServicesDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """End the session: its row is deleted, so a copy of the cookie no longer signs anyone in."""
    id_hash = keys_of(services).id_hash(request.cookies.get(COOKIE_NAME))
    if id_hash is not None:
        require_csrf(request, services, csrf)
        async with services.sessions() as session:
            await dashboard_sessions.end(session, id_hash=id_hash)
    response = RedirectResponse(SIGN_IN, status_code=303)
    clear_session(response)
    return response


# --- roles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleCard:
    role: Role
    counts: list[presenters.RoleCount]
    totals: presenters.RoleTotals | None  # None: the platform did not list its candidates

    def link(self, status: str | None = None) -> str:
        """The role page, filtered by a status's `?status=` value when given."""
        page = f"{HOME}/roles/{self.role.id}"
        return f"{page}?{urlencode({'status': status})}" if status else page


async def _candidate_count(services: ServicesDep, caller: Caller, role_id: int) -> int | None:
    """How many candidates the role has, for its total and "not contacted" (the listing is
    cached a few seconds, as the role page's: the platform has no count of its own); None when
    the platform does not answer, so the page still shows the campaign counts."""
    try:
        return len(await load_candidates(services, caller, role_id, cached=True))
    except ApiError:  # 503 (or 404 for a role removed since it was listed)
        return None


async def _role_cards(services: ServicesDep, caller: Caller) -> tuple[list[RoleCard], bool]:
    try:
        roles = await services.platform.list_roles(caller.credentials)
    except PlatformUnauthorized:
        raise SignInRequired(clear_cookie=True) from None
    except PlatformError as error:
        raise platform_unavailable(error) from None
    candidates = await asyncio.gather(
        *(_candidate_count(services, caller, role.id) for role in roles)
    )
    async with services.sessions() as session:
        counts = await campaign_queries.status_counts_by_role(session, caller.user.id)
    cards = [
        RoleCard(
            role,
            presenters.role_counts(counts.get(role.id, {})),
            None if listed is None else presenters.role_totals(listed, counts.get(role.id, {})),
        )
        for role, listed in zip(roles, candidates, strict=True)
    ]
    active = any(
        presenters.is_active(status) and count
        for role in roles
        for status, count in counts.get(role.id, {}).items()
    )
    return cards, active


@pages.get("")
async def roles_page(request: Request, caller: DashboardCaller, services: ServicesDep) -> Response:
    """The signed-in user's roles, each with its campaigns counted by status."""
    cards, active = await _role_cards(services, caller)
    page = render(
        request,
        "roles.html",
        caller,
        cards=cards,
        active=active,
        notice=pending_notice(request, _ALL_NOTICES),
    )
    return notice_shown(request, page)


_ALL_NOTICES = {
    "all_paused": "All your running campaigns are paused. Nothing is sent until you resume them.",
    "all_resumed": "All your paused campaigns are resumed.",
    "bad_date": "Nothing changed: the resume date must be a date after today.",
}


@pages.post("/campaigns/pause")
async def pause_all_campaigns(
    request: Request,
    caller: DashboardCaller,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
    csrf: Annotated[str, Form()] = "",
    resume_on: Annotated[str, Form()] = "",
) -> Response:
    """A vacation: pause every running campaign of the user, optionally until a date."""
    require_csrf(request, services, csrf)
    try:
        until = await _resume_date(services, caller, resume_on)
    except ValueError:
        return redirect_with_notice(HOME, "bad_date")
    await campaigns.pause_all(caller, until)
    return redirect_with_notice(HOME, "all_paused")


@pages.post("/campaigns/resume")
async def resume_all_campaigns(
    request: Request,
    caller: DashboardCaller,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, services, csrf)
    await campaigns.resume_all(caller)
    return redirect_with_notice(HOME, "all_resumed")


async def _resume_date(services: ServicesDep, caller: Caller, resume_on: str) -> datetime | None:
    """The start of `resume_on` in the user's sending time zone (None when none was given);
    ValueError when it is not a date after today."""
    if not resume_on:
        return None
    async with services.sessions() as session:
        settings, _ = await load_settings(session, caller.user.id)
    until = datetime.combine(date.fromisoformat(resume_on), time(0), settings.schedule.zone)
    if until <= datetime.now(UTC):
        raise ValueError("the resume date is not after today")
    return until


@pages.get("/live")
async def roles_live(request: Request, caller: DashboardCaller, services: ServicesDep) -> Response:
    cards, active = await _role_cards(services, caller)
    return live_response(
        request, render(request, "_roles_live.html", caller, cards=cards, active=active)
    )


# --- campaign detail ----------------------------------------------------------------------


async def _none_if_missing(view: Awaitable[CampaignView]) -> CampaignView | None:
    """The candidate's latest campaign, or None when they never had one."""
    try:
        return await view
    except ApiError as error:
        if error.status == 404:
            return None
        raise


def _campaign_context(
    role_id: int, candidate_id: int, view: CampaignView | None, candidate: Candidate
) -> dict:
    base = f"{HOME}/roles/{role_id}/candidates/{candidate_id}"
    active = view is not None and presenters.is_active(view.status)
    return {
        "role_id": role_id,
        "candidate_id": candidate_id,
        "view": view,
        "live_url": f"{base}/live",
        "cancel_url": f"{base}/cancel",
        "pause_url": f"{base}/pause",
        "resume_url": f"{base}/resume",
        "active": active,
        "nothing_to_send": presenters.nothing_left_to_send(
            view.steps, has_email=bool(candidate.email), has_linkedin=bool(candidate.linkedin)
        )
        if view is not None and active
        else None,
        "timeline": presenters.timeline(view) if view else [],
        "progress": presenters.step_progress(view) if view else None,
        "end": presenters.end_sentence(view) if view else None,
    }


@pages.get("/roles/{role_id}/candidates/{candidate_id}")
async def campaign_page(
    request: Request,
    role_id: int,
    candidate_id: int,
    caller: DashboardCaller,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
) -> Response:
    """The candidate's latest campaign as a timeline, with Cancel and a Temporal link."""
    role = await load_role(services, caller, role_id)
    candidate = await load_candidate(services, caller, role_id, candidate_id)
    view = await _none_if_missing(campaigns.latest_view(caller, role_id, candidate_id))
    page = render(
        request,
        "campaign.html",
        caller,
        role=role,
        candidate=candidate,
        notice=pending_notice(request, _NOTICES),
        **_campaign_context(role_id, candidate_id, view, candidate),
    )
    return notice_shown(request, page)


@pages.get("/roles/{role_id}/candidates/{candidate_id}/live")
async def campaign_live(
    request: Request,
    role_id: int,
    candidate_id: int,
    caller: DashboardCaller,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
) -> Response:
    candidate = await load_candidate(services, caller, role_id, candidate_id, cached=True)
    view = await _none_if_missing(campaigns.latest_view(caller, role_id, candidate_id))
    context = _campaign_context(role_id, candidate_id, view, candidate)
    return live_response(request, render(request, "_campaign_live.html", caller, **context))


@pages.post("/roles/{role_id}/candidates/{candidate_id}/cancel")
async def cancel_campaign(
    request: Request,
    role_id: int,
    candidate_id: int,
    caller: DashboardCaller,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Cancel the candidate's running campaign (the API's DELETE), then show it again."""
    require_csrf(request, services, csrf)
    result = await campaigns.cancel(caller, role_id, candidate_id)
    notice = "ended" if not result.cancelled else result.status.lower()
    return redirect_with_notice(f"{HOME}/roles/{role_id}/candidates/{candidate_id}", notice)


@pages.post("/roles/{role_id}/candidates/{candidate_id}/pause")
async def pause_campaign(
    request: Request,
    role_id: int,
    candidate_id: int,
    caller: DashboardCaller,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
    csrf: Annotated[str, Form()] = "",
    resume_on: Annotated[str, Form()] = "",
) -> Response:
    """Pause the candidate's campaign, until resumed or until the morning of `resume_on`
    (midnight in the user's sending time zone)."""
    require_csrf(request, services, csrf)
    back = f"{HOME}/roles/{role_id}/candidates/{candidate_id}"
    try:
        until = await _resume_date(services, caller, resume_on)
    except ValueError:
        return redirect_with_notice(back, "bad_date")
    try:
        await campaigns.pause(caller, role_id, candidate_id, until)
    except ApiError as error:
        if error.status != 409:
            raise
        return redirect_with_notice(back, "not_paused")
    notice = "paused_until" if until else "paused"
    return redirect_with_notice(back, notice)


@pages.post("/roles/{role_id}/candidates/{candidate_id}/resume")
async def resume_campaign(
    request: Request,
    role_id: int,
    candidate_id: int,
    caller: DashboardCaller,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, services, csrf)
    back = f"{HOME}/roles/{role_id}/candidates/{candidate_id}"
    try:
        await campaigns.resume(caller, role_id, candidate_id)
    except ApiError as error:
        if error.status != 409:
            raise
        return redirect_with_notice(back, "not_paused")
    return redirect_with_notice(back, "resumed")


# --- sending settings and their use -------------------------------------------------------

SENDING = f"{HOME}/sending"
_SENDING_NOTICES = {
    "saved": "Sending settings saved. New sends follow them; sends already booked keep their "
    "times.",
}


@dataclass(frozen=True)
class SendingLive:
    """What the sending page refreshes: each connected account's use, and the waits."""

    accounts: list[sending.AccountUsage] | None  # None: the platform did not answer
    waits: list[sending.WaitRow]
    time_zone: str


async def _connected_accounts(services: ServicesDep, caller: Caller) -> set[ChannelType] | None:
    """The account types the user has connected on the platform; None when it did not answer."""
    try:
        channels = await services.platform.list_channels(caller.credentials)
    except PlatformUnauthorized:
        raise SignInRequired(clear_cookie=True) from None
    except PlatformError:
        return None
    return {ChannelType(channel.type) for channel in channels}


async def _sending_live(services: ServicesDep, caller: Caller) -> SendingLive:
    accounts = await _connected_accounts(services, caller)
    now = datetime.now(UTC)
    async with services.sessions() as session:
        settings, _ = await load_settings(session, caller.user.id)
    schedule = settings.schedule
    waits = await waiting_sends(services.sessions, caller.user.id, now=now)
    async with services.sessions() as session:
        places = await campaign_queries.roles_and_candidates_of(
            session, caller.user.id, [wait.campaign_id for wait in waits]
        )
    used = (
        None
        if accounts is None
        else sending.account_usage(
            await usage(services.sessions, caller.user.id, now=now, accounts=accounts),
            schedule,
            now,
        )
    )
    return SendingLive(
        accounts=used,
        waits=sending.wait_rows(waits, places, schedule, now, HOME),
        time_zone=schedule.time_zone,
    )


async def _sending_page(
    request: Request,
    caller: SignedInCaller,
    services: ServicesDep,
    form: sending.SettingsForm | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    async with services.sessions() as session:
        settings, saved_at = await load_settings(session, caller.user.id)
    return render(
        request,
        "sending.html",
        caller,
        status_code=422 if form and form.problems else 200,
        section="sending",
        summary=sending.settings_summary(settings, saved_at),
        form=form or sending.SettingsForm.of(settings),
        weekdays=sending.weekday_choices(),
        live=await _sending_live(services, caller),
        notice=notice,
    )


@pages.get("/sending")
async def sending_settings_page(
    request: Request, caller: DashboardCaller, services: ServicesDep
) -> Response:
    """The user's send window, limits and pacing, each account's use, the waits, and a form."""
    page = await _sending_page(
        request, caller, services, notice=pending_notice(request, _SENDING_NOTICES)
    )
    return notice_shown(request, page)


@pages.get("/sending/live")
async def sending_live(
    request: Request, caller: DashboardCaller, services: ServicesDep
) -> Response:
    live = await _sending_live(services, caller)
    return live_response(request, render(request, "_sending_live.html", caller, live=live))


@pages.post("/sending")
async def save_sending_settings(
    request: Request, caller: DashboardCaller, services: ServicesDep
) -> Response:
    """Validate the form as `PUT /sending-settings` does; save it, or show it again with why."""
    submitted = await request.form()
    csrf = submitted.get("csrf")
    require_csrf(request, services, csrf if isinstance(csrf, str) else None)
    form = sending.SettingsForm.submitted(submitted)
    settings = form.settings()
    if settings is None:
        return await _sending_page(request, caller, services, form=form)
    async with services.sessions() as session, session.begin():
        await save_settings(session, caller.user.id, settings, now=datetime.now(UTC))
    return redirect_with_notice(SENDING, "saved")


router.include_router(pages)
router.include_router(role_page.router)
router.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="dashboard-static")
