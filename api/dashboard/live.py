"""What every live region of the dashboard shares: its poll interval and how a fragment is
answered (revalidated by its ETag, so an unchanged one costs a 304 and no body)."""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

POLL_SECONDS = 3


def live_response(request: Request, response: HTMLResponse) -> Response:
    """A live fragment, revalidated by its ETag: an unchanged one costs a 304 and no body."""
    etag = '"' + hashlib.sha256(response.body).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
