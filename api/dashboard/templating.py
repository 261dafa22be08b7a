"""The dashboard's Jinja2 environment: templates, versioned static URLs and time formatting."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.dashboard.live import POLL_SECONDS

if TYPE_CHECKING:  # access.py renders its error pages with these templates
    from api.dashboard.access import SignedInCaller

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
STATIC_PATH = "/dashboard/static"

templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")
templates.env.trim_blocks = True  # 300 rows of a role: no template whitespace in between
templates.env.lstrip_blocks = True


@cache
def static_url(name: str) -> str:
    """The file's URL with a digest of its content, so browsers never run a stale script."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"{STATIC_PATH}/{name}?v={digest}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_text(moment: datetime) -> str:
    """What a `<time>` says until dashboard.js rewrites it in the browser's time zone."""
    at = moment.astimezone(UTC)
    return f"{at.day} {at:%b %Y, %H:%M} UTC"


templates.env.globals["static_url"] = static_url
templates.env.filters["iso"] = iso
templates.env.filters["utc_text"] = utc_text


def render(
    request: Request,
    template: str,
    caller: SignedInCaller | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A dashboard page: the template with the signed-in user, the form token and the live
    refresh's period that every page's header and live region use."""
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": caller.user if caller else None,
            "csrf": caller.csrf if caller else None,
            "poll_seconds": POLL_SECONDS,
            **context,
        },
        status_code=status_code,
        headers=headers,
    )
