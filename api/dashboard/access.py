"""Who is signed in to the dashboard, and how its routes answer errors and missing sessions.

Pages need a session cookie (session.py) of a session still in the database, whose platform
token the platform still accepts, the
same check `resolve_user` makes for the API's Bearer token. Without one a page redirects to the
sign-in form and a live fragment answers 401 (its script then reloads the page). API errors
(404 for a role that is not yours, 503 when a dependency is down) become HTML pages here, since
the app's handlers answer JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from api.dashboard.session import COOKIE_NAME, SessionKeys, session_keys
from api.dashboard.templating import render
from api.deps import ServicesDep
from api.errors import ApiError
from api.platform_access import Caller, resolve_user
from api.services import AppServices
from db import dashboard_sessions
from recruiting_platform import User

HOME = "/dashboard"
SIGN_IN = "/dashboard/login"
# The whole site: the codec endpoint (/codec, for the Temporal Web UI) reads the session too.
COOKIE_PATH = "/"
# Set by dashboard.js on its polls: answer 401 instead of redirecting to the sign-in page.
LIVE_HEADER = "X-Dashboard-Live"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_ERROR_TITLES = {
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "Try again",
    422: "Not understood",
    429: "Too many attempts",
    503: "Temporarily unavailable",
}


class SignInRequired(Exception):
    """No valid session: the cookie is missing, not ours, too old, or its token was revoked."""

    def __init__(self, *, clear_cookie: bool = False) -> None:
        super().__init__("sign-in required")
        self.clear_cookie = clear_cookie


class SignedInCaller(Caller):
    """A dashboard caller, with the CSRF token their pages put into forms."""

    def __init__(self, user: User, token: str, csrf: str) -> None:
        super().__init__(user, token)
        self.csrf = csrf


def keys_of(services: AppServices) -> SessionKeys:
    return session_keys(services.settings.session_secret, services.settings.session_encryption_keys)


@dataclass(frozen=True)
class StoredSession:
    id_hash: str
    token: str


async def stored_session(request: Request, services: AppServices) -> StoredSession | None:
    """The session the request's cookie names, if signed by us, not expired and not ended."""
    keys = keys_of(services)
    id_hash = keys.id_hash(request.cookies.get(COOKIE_NAME))
    if id_hash is None:
        return None
    async with services.sessions() as session:
        row = await dashboard_sessions.find(session, id_hash=id_hash, now=datetime.now(UTC))
    token = keys.decrypt(row.token_ciphertext) if row is not None else None
    return StoredSession(id_hash, token) if token else None


async def current_caller(request: Request, services: ServicesDep) -> SignedInCaller:
    found = await stored_session(request, services)
    if found is None:
        raise SignInRequired(clear_cookie=COOKIE_NAME in request.cookies)
    try:
        user = await resolve_user(services, found.token)
    except ApiError as error:
        if error.status == 401:
            raise SignInRequired(clear_cookie=True) from None
        raise
    return SignedInCaller(user, found.token, keys_of(services).csrf_token(found.id_hash))


DashboardCaller = Annotated[SignedInCaller, Depends(current_caller)]


def require_csrf(request: Request, services: ServicesDep, submitted: str | None) -> None:
    """Refuse a state-changing form that did not come from one of our pages."""
    keys = keys_of(services)
    if not keys.csrf_matches(keys.id_hash(request.cookies.get(COOKIE_NAME)), submitted):
        raise ApiError(403, "CSRF_REJECTED", "This form has expired. Reload the page and retry.")


def require_same_origin(request: Request) -> None:
    """Refuse a form another site posted (the sign-in form has no session to bind a token to).

    Browsers send `Origin` with every form POST; clients without one are not browsers."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise ApiError(403, "CROSS_SITE_FORM", "This form was sent from another site.")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a dashboard path of this site (no open redirect)."""
    if not target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME) or "\\" in target:
        return HOME
    if parts.path.startswith(SIGN_IN):
        return HOME
    return target


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="lax")


def _sign_in_required(request: Request, error: SignInRequired) -> Response:
    if request.headers.get(LIVE_HEADER):
        response: Response = Response(status_code=401)
    else:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = SIGN_IN if request.method != "GET" or here == HOME else here
        location = SIGN_IN if target == SIGN_IN else f"{SIGN_IN}?next={quote(target, safe='')}"
        response = RedirectResponse(location, status_code=303)
    if error.clear_cookie:
        clear_session(response)
    return response


async def _signed_in(request: Request) -> SignedInCaller | None:
    """Who is signed in, for an error page's header; None when nobody is, or when finding out
    fails too (an error page must render even when what failed is what it would ask)."""
    services: AppServices = request.app.state.services
    try:
        found = await stored_session(request, services)
        if found is None:
            return None
        user = await resolve_user(services, found.token)
    except Exception:  # noqa: BLE001 - the page says what went wrong; the header is a bonus
        return None
    return SignedInCaller(user, found.token, keys_of(services).csrf_token(found.id_hash))


async def error_page(request: Request, error: ApiError) -> Response:
    """The error in words, under the usual header (who is signed in, sign out) when they are."""
    caller = await _signed_in(request)
    return render(
        request,
        "error.html",
        caller,
        error.status,
        error.headers,
        title=_ERROR_TITLES.get(error.status, "Something went wrong"),
        message=error.message,
        status=error.status,
    )


class DashboardRoute(APIRoute):
    """Answers a dashboard route's errors with HTML pages and adds the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def dashboard_handler(request: Request) -> Response:
            try:
                response = await handle(request)
            except SignInRequired as error:
                response = _sign_in_required(request, error)
            except ApiError as error:
                response = await error_page(request, error)
            except RequestValidationError:
                response = await error_page(request, ApiError(404, "NOT_FOUND", "No such page."))
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return dashboard_handler
