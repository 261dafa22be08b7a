"""One-time notices after a form ("Campaign cancelled…"): the redirect after the POST carries
the notice's name in a short-lived cookie, and the page it leads to shows it once and deletes
the cookie, so reloading that page (or sharing its URL) does not repeat it, as a `?notice=` in
the URL did. Only a name travels; each page maps known names to its own sentences."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from api.dashboard.access import HOME

FLASH_COOKIE = "ce_notice"
# Long enough for the redirect to be followed on a slow connection; a notice nobody saw in
# this time is stale anyway.
FLASH_MAX_AGE_SECONDS = 60


def redirect_with_notice(location: str, notice: str) -> RedirectResponse:
    """A 303 to `location` that shows `notice` there, once."""
    response = RedirectResponse(location, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        notice,
        max_age=FLASH_MAX_AGE_SECONDS,
        path=HOME,
        httponly=True,
        samesite="strict",
    )
    return response


def pending_notice(request: Request, notices: dict[str, str]) -> str | None:
    """The sentence of the notice waiting for this page, if any it knows."""
    return notices.get(request.cookies.get(FLASH_COOKIE) or "")


def notice_shown(request: Request, response: Response) -> Response:
    """Delete the notice's cookie once a page has shown it (a no-op without one)."""
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=HOME, httponly=True, samesite="strict")
    return response
