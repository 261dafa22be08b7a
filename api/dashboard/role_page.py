"""The dashboard's role page at thousands of candidates: search by name, status filters and
pages in the URL, counts from one grouped query, a live fragment of the shown page only, bulk
cancel / pause / resume with one confirmation, and a CSV export of the filtered list.

Candidate names live on the recruiting platform, campaign states in our read model. Each render
joins the role's candidate list, fetched from the platform at most every `DIRECTORY_SECONDS`
and kept prepared for search (`RoleDirectory`), with a narrow read of each candidate's latest
state (ids, status, sort key); only the shown page's wide columns and steps are read after
that. `make bench-role-page` measures it at 10,000 candidates.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from api.campaign_service import BulkAction, CampaignService
from api.dashboard import presenters
from api.dashboard.access import HOME, DashboardCaller, DashboardRoute, require_csrf
from api.dashboard.flash import FLASH_COOKIE, notice_shown, redirect_with_notice
from api.dashboard.live import live_response
from api.dashboard.templating import iso, render, templates, utc_text
from api.deps import CampaignServiceDep, ServicesDep
from api.errors import ApiError
from api.platform_access import Caller, load_candidates, load_role, token_key
from api.role_overview import overview_row, with_step_statuses
from api.schemas import RoleCampaignRow
from api.services import AppServices
from campaigns.definition import ChannelType
from campaigns.status import ACTIVE_STATUSES, CampaignStatus, WaitCause
from campaigns.wording import CHANNEL_TYPE_LABELS
from db import role_page_queries
from db.role_page_queries import ChannelHold, LatestStates
from recruiting_platform import Candidate, PlatformError

T = TypeVar("T")

PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 100
# Candidate ids per `IN (…)` when the export reads every filtered row's columns.
EXPORT_CHUNK = 500
# A search matching at most this many names reads only their states (one `IN (…)`), not every
# candidate's of the role.
SEARCH_READ_LIMIT = 1_000
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_ACTIVE = frozenset(s.value for s in ACTIVE_STATUSES)

router = APIRouter(prefix=HOME, route_class=DashboardRoute, include_in_schema=False)


# --- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    key: str  # the status it stands for ("" is the default, "ALL" every candidate)
    label: str
    # Campaign statuses it lists (None: any); `without_campaign`: candidates with none too.
    statuses: tuple[str, ...] | None
    without_campaign: bool = False
    # Its value of `?status=`: lowercase words in links people share (the roles page's tiles
    # link with the same words, `presenters.STATUS_QUERY`).
    param: str = ""


def _by_status(status: str) -> Filter:
    return Filter(
        status,
        presenters.status_badge(status).label,
        (status,),
        param=presenters.STATUS_QUERY[status],
    )


WITH_CAMPAIGN = Filter("", "With a campaign", None)
FILTERS: tuple[Filter, ...] = (
    WITH_CAMPAIGN,
    _by_status(CampaignStatus.RUNNING.value),
    _by_status(CampaignStatus.WAITING_FOR_CHANNEL.value),
    _by_status(CampaignStatus.PAUSED.value),
    _by_status(CampaignStatus.REPLIED.value),
    _by_status(CampaignStatus.COMPLETED.value),
    _by_status(CampaignStatus.CANCELLED.value),
    _by_status(CampaignStatus.FAILED.value),
    Filter(
        presenters.NO_CAMPAIGN,
        presenters.status_badge(presenters.NO_CAMPAIGN).label,
        (),
        without_campaign=True,
        param=presenters.STATUS_QUERY[presenters.NO_CAMPAIGN],
    ),
    Filter("ALL", "All candidates", None, without_campaign=True, param="all"),
)
# Found by their URL word, or by the status itself (`?status=WAITING_FOR_CHANNEL`, as the
# API's JSON spells it).
_FILTERS = {name: f for f in FILTERS for name in (f.param, f.key.lower())}
SORTS = presenters.SORTS


@dataclass(frozen=True)
class RoleQuery:
    """What the URL asks of the role page: filter, search, sort and page number."""

    filter: Filter
    search: str
    sort: str
    page: int

    def params(self, **changes: Any) -> dict[str, str]:
        values = {
            "status": self.filter.param,
            "q": self.search,
            "sort": "" if self.sort == "candidate" else self.sort,
            "page": "" if self.page == 1 else str(self.page),
        }
        values.update({key: "" if value is None else str(value) for key, value in changes.items()})
        if values.get("page") == "1":
            values["page"] = ""
        return {key: value for key, value in values.items() if value}


def _invalid(field: str, reason: str) -> ApiError:
    return ApiError(
        422, "INVALID_FIELD", f"{field}: {reason}", [{"field": field, "reason": reason}]
    )


async def role_query(
    status: Annotated[str, Query()] = "",
    q: Annotated[str, Query()] = "",
    sort: Annotated[str, Query()] = "candidate",
    page: Annotated[str, Query()] = "1",
) -> RoleQuery:
    """The page's query parameters, checked (async: FastAPI would run a plain function in a
    thread, api/deps.py)."""
    return parse_role_query(status=status, q=q, sort=sort, page=page)


def parse_role_query(
    status: str = "", q: str = "", sort: str = "candidate", page: str = "1"
) -> RoleQuery:
    chosen = _FILTERS.get(status.strip().lower())
    if chosen is None:
        raise _invalid("status", f"no filter called {status[:40]!r}")
    search = " ".join(q.split())
    if len(search) > MAX_SEARCH_LENGTH:
        raise _invalid("q", f"at most {MAX_SEARCH_LENGTH} characters")
    if sort not in SORTS:
        raise _invalid("sort", f"one of {', '.join(SORTS)}")
    if not page.isdigit() or int(page) < 1:
        raise _invalid("page", "a whole number from 1")
    return RoleQuery(chosen, search, sort, int(page))


RoleQueryDep = Annotated[RoleQuery, Depends(role_query)]


# --- the role's candidates, prepared ------------------------------------------------------


@dataclass(frozen=True)
class RoleDirectory:
    """A role's candidates as the platform listed them, by id and with a search key each."""

    by_id: dict[int, Candidate]
    ids: list[int]  # ascending
    names: dict[int, str]  # "first last", case-folded

    @classmethod
    def of(cls, candidates: Iterable[Candidate]) -> RoleDirectory:
        by_id = {c.id: c for c in candidates}
        names = {c.id: f"{c.firstName} {c.lastName}".casefold() for c in by_id.values()}
        return cls(by_id, sorted(by_id), names)

    def matching(self, ids: Iterable[int], search: str) -> list[int]:
        """The ids that are the role's candidates and whose name contains `search`."""
        if not search:
            return [i for i in ids if i in self.by_id]
        needle = search.casefold()
        return [i for i in ids if needle in self.names.get(i, "")]


async def role_directory(
    services: AppServices, caller: Caller, role_id: int, *, fresh: bool = False
) -> RoleDirectory:
    """The role's candidates (404 if the role is not the caller's), at most a little old
    unless `fresh` (a bulk action asks the platform)."""
    key = token_key(caller.token, "role-directory", role_id)
    if not fresh and (hit := services.role_directories.get(key)) is not None:
        return hit
    directory = RoleDirectory.of(await load_candidates(services, caller, role_id))
    services.role_directories[key] = directory
    return directory


# --- the listing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """The candidate ids the query matches, in its order (every page), and the role's counts."""

    ids: list[int]
    states: LatestStates
    counts: dict[str, int]  # campaigns by status (the grouped query)
    candidates: int  # the role's candidates on the platform
    holds: list[ChannelHold]  # only when asked for


async def _read(
    services: AppServices, read: Callable[..., Awaitable[T]], *args: Any, **kw: Any
) -> T:
    """One read of the page in a session of its own: the page's independent reads run at once
    (each waits on the database, not on the others), which is most of a render's wall time
    after its CPU."""
    async with services.sessions() as session:
        return await read(session, *args, **kw)


async def _no_holds() -> list[ChannelHold]:
    return []


async def listing(
    services: AppServices,
    caller: Caller,
    role_id: int,
    query: RoleQuery,
    *,
    fresh: bool = False,
    with_holds: bool = False,
) -> Listing:
    directory = await role_directory(services, caller, role_id, fresh=fresh)
    wanted = query.filter.statuses
    by_next_action = query.sort == "next_action"
    owner = caller.user.id
    # A search is matched against the names first: when few match, only their states are read.
    named = directory.matching(directory.ids, query.search) if query.search else None
    of_named = named if named is not None and len(named) <= SEARCH_READ_LIMIT else None
    counts, states, holds = await asyncio.gather(
        _read(services, role_page_queries.status_counts, role_id, owner),
        _read(
            services,
            role_page_queries.latest_states,
            role_id,
            owner,
            None if query.filter.without_campaign else wanted,
            with_next_action=by_next_action,
            candidate_ids=of_named,
        ),
        _read(services, role_page_queries.channel_holds, role_id, owner)
        if with_holds
        else _no_holds(),
    )
    has = states.statuses
    if query.filter.without_campaign:
        # The role's candidates (those the search matched): already matched, not again.
        pool = directory.ids if named is None else named
        ids = [i for i in pool if i not in has] if wanted == () else list(pool)
    else:
        ids = directory.matching(sorted(has), query.search)
    if by_next_action:
        due = states.next_action_at
        ids.sort(key=lambda i: (due.get(i) or _FAR_FUTURE, i))
    return Listing(ids, states, counts, len(directory.ids), holds)


@dataclass(frozen=True)
class PageListing:
    """One page of what the query matches, and what the page says about all of them."""

    page: int  # the asked page, or the last one when it asked past the end
    ids: list[int]  # the shown candidates, in order
    matching: int  # over every page
    states: LatestStates  # at least the shown candidates'
    listed: Counter[str | None]  # matching rows by campaign status (None: no campaign)
    counts: dict[str, int]
    candidates: int
    holds: list[ChannelHold]


def _page_of(page: int, matching: int) -> tuple[int, int]:
    """The page to show (the last one when `page` is past it) and its first row's offset."""
    page = min(page, max(1, -(-matching // PAGE_SIZE)))
    return page, (page - 1) * PAGE_SIZE


async def page_listing(
    services: AppServices, caller: Caller, role_id: int, query: RoleQuery
) -> PageListing:
    """The shown page. Without a search (the common case) the database pages a status filter
    itself, by candidate or by next action, and "All candidates" by candidate pages the
    platform's list, so a render reads one page of states rather than every candidate's;
    otherwise `listing` matches all."""
    by_next_action = query.sort == "next_action"
    if (
        query.search
        or query.filter.key == presenters.NO_CAMPAIGN
        or (query.filter.without_campaign and by_next_action)
    ):
        found = await listing(services, caller, role_id, query, with_holds=True)
        page, offset = _page_of(query.page, len(found.ids))
        statuses = found.states.statuses
        return PageListing(
            page,
            found.ids[offset : offset + PAGE_SIZE],
            len(found.ids),
            found.states,
            Counter(map(statuses.get, found.ids)),
            found.counts,
            found.candidates,
            found.holds,
        )
    directory = await role_directory(services, caller, role_id)
    owner = caller.user.id
    counts_read = _read(services, role_page_queries.status_counts, role_id, owner)
    holds_read = _read(services, role_page_queries.channel_holds, role_id, owner)
    if query.filter.without_campaign:  # every candidate, by id: the platform's list
        matching = len(directory.ids)
        page, offset = _page_of(query.page, matching)
        ids = directory.ids[offset : offset + PAGE_SIZE]
        counts, holds, states = await asyncio.gather(
            counts_read,
            holds_read,
            _read(services, role_page_queries.latest_states, role_id, owner, candidate_ids=ids),
        )
        listed: Counter[str | None] = Counter(counts)
        listed[None] = max(0, matching - sum(counts.values()))
    else:
        wanted = query.filter.statuses or None  # None: any status, as counted

        def page_at(offset: int) -> Awaitable[LatestStates]:
            return _read(
                services,
                role_page_queries.latest_states,
                role_id,
                owner,
                wanted,
                page=(offset, PAGE_SIZE),
                by_next_action=by_next_action,
            )

        # The asked page is read beside the counts; only a page past the last one (known from
        # the counts) is read again, as the last one.
        asked = (query.page - 1) * PAGE_SIZE
        counts, holds, states = await asyncio.gather(counts_read, holds_read, page_at(asked))
        listed = Counter({s: counts[s] for s in (wanted or counts) if s in counts})
        matching = sum(listed.values())
        page, offset = _page_of(query.page, matching)
        if offset != asked:
            states = await page_at(offset)
        # A campaign of someone no longer in the role is counted but has no row to show.
        ids = [i for i in states.statuses if i in directory.by_id]
    return PageListing(page, ids, matching, states, listed, counts, len(directory.ids), holds)


# --- one page of rows ---------------------------------------------------------------------


@dataclass(frozen=True)
class OtherRole:
    role_id: int
    title: str | None


@dataclass(frozen=True)
class RoleRow:
    """A row of the page: the API's overview row and what the dashboard adds to it."""

    row: RoleCampaignRow
    progress: presenters.Progress | None
    active: bool
    # Why no more message can go out (every one left is on a channel the candidate lacks).
    nothing_to_send: str | None
    # Where the candidate's active campaign runs when it is in another role of the user.
    running_elsewhere: OtherRole | None


async def page_rows(
    services: AppServices,
    caller: Caller,
    role_id: int,
    candidates: Sequence[Candidate],
    states: LatestStates,
) -> list[RoleRow]:
    campaign_ids = [states.campaign_ids[c.id] for c in candidates if c.id in states.campaign_ids]
    idle = [c.id for c in candidates if states.statuses.get(c.id) not in _ACTIVE]
    wide, steps, elsewhere = await asyncio.gather(
        _read(services, role_page_queries.overview_rows, campaign_ids),
        _read(services, role_page_queries.step_states, campaign_ids),
        _read(services, role_page_queries.active_in_other_roles, caller.user.id, role_id, idle),
    )
    titles = await _role_titles(services, caller) if elsewhere else {}
    rows = []
    for candidate in candidates:
        campaign_id = states.campaign_ids.get(candidate.id)
        campaign = wide.get(campaign_id) if campaign_id else None
        row = overview_row(candidate, campaign)
        its_steps = steps.get(row.campaign_id, []) if row.campaign_id else []
        with_step_statuses(row, its_steps)
        active = presenters.is_active(row.status)
        other = elsewhere.get(candidate.id)
        rows.append(
            RoleRow(
                row=row,
                progress=presenters.row_progress(row),
                active=active,
                nothing_to_send=presenters.nothing_left_to_send(
                    its_steps, has_email=row.has_email, has_linkedin=row.has_linkedin
                )
                if active
                else None,
                running_elsewhere=OtherRole(other, titles.get(other)) if other else None,
            )
        )
    return rows


async def _role_titles(services: AppServices, caller: Caller) -> dict[int, str]:
    """The user's role titles, for the links to another role (none if the platform is down:
    the link then names no title)."""
    try:
        roles = await services.platform.list_roles(caller.credentials)
    except PlatformError:
        return {}
    return {role.id: role.title for role in roles}


# --- the channel alert --------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelAlert:
    headline: str  # "LinkedIn is logged out: 9 campaigns are waiting"
    advice: str  # what to do
    held: str  # what else waits meanwhile


_PROBLEMS: dict[str, tuple[str, str]] = {
    WaitCause.LOGGED_OUT: (
        "{channel} is logged out",
        "Reconnect {channel} on the recruiting platform; the campaigns go on by themselves "
        "once it is back.",
    ),
    WaitCause.NO_CHANNEL: (
        "No {channel} account is connected",
        "Connect a {channel} account on the recruiting platform; the campaigns go on by "
        "themselves once it is there.",
    ),
    WaitCause.CHANNEL_ERROR: (
        "{channel} reports an error",
        "It is checked again regularly and the campaigns go on by themselves when it works; "
        "if it lasts, look at the {channel} account on the recruiting platform.",
    ),
    WaitCause.PLATFORM_UNAUTHORIZED: (
        "The recruiting platform refused this service's credentials for {channel}",
        "Nothing to do on your side: an operator has to fix the service's credentials; the "
        "campaigns go on by themselves afterwards.",
    ),
}


def channel_alerts(holds: Sequence[ChannelHold]) -> list[ChannelAlert]:
    """One alert per channel and cause, however many rows it affects."""
    alerts = []
    for hold in holds:
        channel = (
            CHANNEL_TYPE_LABELS[ChannelType(hold.channel_type)]
            if hold.channel_type in ChannelType.__members__
            else "A channel"
        )
        problem, advice = _PROBLEMS.get(
            hold.cause or "",
            ("{channel} cannot be used", "Check the {channel} account on the recruiting platform."),
        )
        count = f"{hold.campaigns} campaign{'s are' if hold.campaigns != 1 else ' is'} waiting"
        alerts.append(
            ChannelAlert(
                headline=f"{problem.format(channel=channel)}: {count}",
                advice=advice.format(channel=channel),
                held=(
                    f"Each waits at its {channel} message, so its later steps, on other channels "
                    "too, are held until then; the 30 days keep running."
                ),
            )
        )
    return alerts


# --- the page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    key: str
    label: str
    count: int
    selected: bool
    href: str


@dataclass(frozen=True)
class RoleView:
    role_id: int
    query: RoleQuery
    rows: list[RoleRow]
    matching: int  # rows over all pages
    pages: int
    chips: list[Chip]
    alerts: list[ChannelAlert]
    active: bool  # anything of the role still changing: the page polls
    live_url: str
    export_url: str
    bulk_url: str
    # How many of the matching rows each bulk action would change (an active campaign).
    actionable: dict[str, int]

    def link(self, **changes: Any) -> str:
        params = self.query.params(**changes)
        return f"{HOME}/roles/{self.role_id}" + (f"?{urlencode(params)}" if params else "")

    @property
    def first_shown(self) -> int:
        return (self.query.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.rows) - 1 if self.rows else 0


_PAUSABLE = frozenset({CampaignStatus.RUNNING.value, CampaignStatus.WAITING_FOR_CHANNEL.value})
_BULK_TARGETS: dict[str, frozenset[str]] = {
    "cancel": _ACTIVE - {presenters.CANCELLING},
    "pause": _PAUSABLE,
    "resume": frozenset({CampaignStatus.PAUSED.value}),
}


def _chips(
    role_id: int, query: RoleQuery, by_status: dict[str, int], candidates: int
) -> list[Chip]:
    with_campaign = sum(by_status.values())
    counts = {
        "": with_campaign,
        "ALL": candidates,
        presenters.NO_CAMPAIGN: max(0, candidates - with_campaign),
    }
    chips = []
    for f in FILTERS:
        count = counts.get(f.key, by_status.get(f.key, 0))
        if f.statuses and not count and f is not query.filter:
            continue  # a status none of the role's campaigns is in
        params = query.params(status=f.param, page=None)
        href = f"{HOME}/roles/{role_id}" + (f"?{urlencode(params)}" if params else "")
        chips.append(Chip(f.key, f.label, count, f is query.filter, href))
    return chips


async def role_view(
    services: AppServices, caller: Caller, role_id: int, query: RoleQuery
) -> RoleView:
    found = await page_listing(services, caller, role_id, query)
    query = RoleQuery(query.filter, query.search, query.sort, found.page)
    directory = await role_directory(services, caller, role_id)
    rows = await page_rows(
        services, caller, role_id, [directory.by_id[i] for i in found.ids], found.states
    )
    params = urlencode(query.params())
    filter_params = urlencode(query.params(page=None, sort=None))
    base = f"{HOME}/roles/{role_id}"
    actionable = {
        action: sum(n for status, n in found.listed.items() if status in statuses)
        for action, statuses in _BULK_TARGETS.items()
    }
    return RoleView(
        role_id=role_id,
        query=query,
        rows=rows,
        matching=found.matching,
        pages=max(1, -(-found.matching // PAGE_SIZE)),
        chips=_chips(role_id, query, found.counts, found.candidates),
        alerts=channel_alerts(found.holds),
        active=any(presenters.is_active(s) and n for s, n in found.counts.items()),
        live_url=f"{base}/live" + (f"?{params}" if params else ""),
        export_url=f"{base}/export.csv" + (f"?{filter_params}" if filter_params else ""),
        bulk_url=f"{base}/bulk",
        actionable=actionable,
    )


# The rows' repeated pieces as Python functions: the same markup as the macros of
# macros.html (`when`, `badge`, `channels`), at a fraction of a macro call's cost (50 rows of
# several each, every few seconds per open page). Badges, icons and channel cells take a few
# values only, so each is built once; a time is built with `escape` rather than
# `Markup.format`, whose `string.Formatter` was a sixth of a render's CPU (cProfile).
def _when(at: datetime, format: str = "both") -> Markup:
    return Markup(
        f'<time datetime="{escape(iso(at))}" data-format="{escape(format)}">'
        f"{escape(utc_text(at))}</time>"
    )


@cache
def _badge(badge: presenters.Badge) -> Markup:
    return Markup('<span class="badge badge--{}">{}</span>').format(badge.tone, badge.label)


@cache
def _icon(name: str) -> Markup:
    return Markup('<svg class="icon" aria-hidden="true"><use href="#icon-{}"/></svg>').format(name)


@cache
def _channels(has_email: bool, has_linkedin: bool) -> Markup:
    email = Markup('<span class="channel{}">{}{}</span>').format(
        "" if has_email else " channel--missing",
        _icon("email"),
        "Email" if has_email else "No email",
    )
    linkedin = Markup('<span class="channel channel--linkedin{}">{}{}</span>').format(
        "" if has_linkedin else " channel--missing",
        _icon("linkedin"),
        "LinkedIn" if has_linkedin else "No LinkedIn",
    )
    return Markup('<span class="channels">{}{}</span>').format(email, linkedin)


templates.env.globals.update(row_when=_when, row_badge=_badge, row_channels=_channels)


_BULK_NOTICES = {
    "cancel": ("cancelled", "Cancelled"),
    "pause": ("paused", "Paused"),
    "resume": ("resumed", "Resumed"),
}


def bulk_notice(value: str | None) -> str | None:
    """The outcome of a bulk action, from its one-time notice ("cancel:3:2" → "Cancelled 3
    campaigns; 2 skipped …")."""
    action, _, counts = (value or "").partition(":")
    done, _, skipped = counts.partition(":")
    if action not in _BULK_NOTICES or not done.isdigit() or not skipped.isdigit():
        return None
    _, verb = _BULK_NOTICES[action]
    n, left = int(done), int(skipped)
    sentence = f"{verb} {n} campaign{'s' if n != 1 else ''}"
    if left:
        sentence += f"; {left} skipped (no campaign in a state this changes)"
    return sentence + "."


@router.get("/roles/{role_id}")
async def role_page(
    request: Request,
    role_id: int,
    caller: DashboardCaller,
    services: ServicesDep,
    query: RoleQueryDep,
) -> Response:
    """The role's candidates, a page at a time: status, progress, last and next action."""
    # The role's title and its rows at once (both check that the role is the caller's).
    role, view = await asyncio.gather(
        load_role(services, caller, role_id), role_view(services, caller, role_id, query)
    )
    page = render(
        request,
        "role.html",
        caller,
        role=role,
        o=view,
        sorts=SORTS,
        page_size=PAGE_SIZE,
        notice=bulk_notice(request.cookies.get(FLASH_COOKIE)),
    )
    return notice_shown(request, page)


@router.get("/roles/{role_id}/live")
async def role_live(
    request: Request,
    role_id: int,
    caller: DashboardCaller,
    services: ServicesDep,
    query: RoleQueryDep,
) -> Response:
    """The page's live region (its alerts, counts and shown rows), revalidated by ETag."""
    view = await role_view(services, caller, role_id, query)
    response: HTMLResponse = render(
        request, "_role_live.html", caller, o=view, sorts=SORTS, page_size=PAGE_SIZE
    )
    return live_response(request, response)


@router.post("/roles/{role_id}/bulk")
async def role_bulk_action(
    request: Request,
    role_id: int,
    caller: DashboardCaller,
    services: ServicesDep,
    campaigns: CampaignServiceDep,
    csrf: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "selected",
    candidate: Annotated[list[str] | None, Form()] = None,
    status: Annotated[str, Form()] = "",
    q: Annotated[str, Form()] = "",
) -> Response:
    """Cancel, pause or resume the selected rows' campaigns, or those of every row the filter
    matches, after the page's one confirmation; back to the page with how many."""
    require_csrf(request, services, csrf)
    if action not in _BULK_TARGETS:
        raise _invalid("action", "one of cancel, pause, resume")
    if scope not in ("selected", "filter"):
        raise _invalid("scope", "selected or filter")
    picked = [c for c in candidate or [] if c.strip()]
    if not all(c.isdigit() for c in picked):
        raise _invalid("candidate", "candidate ids are whole numbers")
    query = parse_role_query(status=status, q=q)
    found = await listing(services, caller, role_id, query, fresh=True)
    targets = found.ids
    if scope == "selected":
        chosen = {int(c) for c in picked}
        targets = [i for i in found.ids if i in chosen]
        if not picked:
            raise _invalid("candidate", "select at least one candidate")
    has = found.states.statuses
    eligible = [i for i in targets if has.get(i) in _BULK_TARGETS[action]]
    changed = await _bulk(campaigns, caller, role_id, eligible, action)
    requested = len(picked) if scope == "selected" else len(targets)
    # The outcome travels as a one-time notice, so a reload of the page does not repeat it.
    back = urlencode(query.params())
    return redirect_with_notice(
        f"{HOME}/roles/{role_id}" + (f"?{back}" if back else ""),
        f"{action}:{changed}:{max(0, requested - changed)}",
    )


async def _bulk(
    campaigns: CampaignService, caller: Caller, role_id: int, ids: list[int], action: str
) -> int:
    if not ids:
        return 0
    chosen: BulkAction = (
        "cancel" if action == "cancel" else "pause" if action == "pause" else "resume"
    )
    return await campaigns.control_in_role(caller, role_id, ids, chosen)


# --- CSV export ---------------------------------------------------------------------------

_CSV_COLUMNS = (
    "Candidate ID",
    "First name",
    "Last name",
    "Has email",
    "Has LinkedIn",
    "Status",
    "Steps done",
    "Steps total",
    "Last action",
    "Last action at (UTC)",
    "Next action",
    "Next action at (UTC)",
    "Started at (UTC)",
    "Ends at (UTC)",
    "Ended at (UTC)",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would run it."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_line(row: RoleCampaignRow) -> list[str]:
    values: list[object] = [
        row.candidate_id,
        row.first_name,
        row.last_name,
        "yes" if row.has_email else "no",
        "yes" if row.has_linkedin else "no",
        presenters.status_badge(row.status).label,
        row.steps_done if row.campaign_id else "",
        row.steps_total if row.campaign_id else "",
        row.last_action,
        row.last_action_at,
        row.next_action if presenters.is_active(row.status) else None,
        row.next_action_at if presenters.is_active(row.status) else None,
        row.started_at,
        row.ends_at,
        row.ended_at,
    ]
    return [spreadsheet_safe(v) for v in values]


@router.get("/roles/{role_id}/export.csv")
async def role_export(
    role_id: int, caller: DashboardCaller, services: ServicesDep, query: RoleQueryDep
) -> Response:
    """Every row the filter and search match (all pages) as CSV."""
    found = await listing(services, caller, role_id, query)
    directory = await role_directory(services, caller, role_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_CSV_COLUMNS)
    for start in range(0, len(found.ids), EXPORT_CHUNK):
        chunk = found.ids[start : start + EXPORT_CHUNK]
        campaign_of = found.states.campaign_ids
        ids = [campaign_of[i] for i in chunk if i in campaign_of]
        async with services.sessions() as session:
            wide = await role_page_queries.overview_rows(session, ids)
        for i in chunk:
            campaign_id = campaign_of.get(i)
            row = overview_row(directory.by_id[i], wide.get(campaign_id) if campaign_id else None)
            writer.writerow(_csv_line(row))
        await asyncio.sleep(0)  # let other requests in between chunks of a large role
    label = query.filter.key.lower() or "with-campaign"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="role-{role_id}-{label}.csv"',
        },
    )
