"""The request body size limit, enforced before the body is read.

A declared Content-Length over the limit is answered 413 before the app runs (nothing of the
body is read); a body without one (chunked) is counted while the app reads it, and the read that
crosses the limit raises `BodyTooLarge`, which the app's handlers answer with the same 413. So
neither an unsigned webhook nor a PUT can make the API hold more than the limit in memory.

Our own middleware rather than FastAPI's `max_body_size`: that one answers plain text or
`{"detail": …}` depending on where the limit is crossed, and every error here has one shape.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response


class BodyTooLarge(HTTPException):
    """The body crossed the limit while the app read it (answered 413 by the error handlers)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"The request body is larger than {limit} bytes"


class BodySizeLimit:
    """Pure ASGI middleware: a request body of at most `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Only when a handler let it through (the app's error handlers answer it first).
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = ApiError(
            413,
            "BODY_TOO_LARGE",
            too_large_message(self.max_bytes),
            headers={"Connection": "close"},
        )
        await error_response(error)(scope, receive, send)
