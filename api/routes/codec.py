"""The codec endpoint: the Temporal Web UI and CLI send us encrypted payloads to read them.

The contract is Temporal's "remote codec server": `POST {endpoint}/decode` and `/encode` with
`{"payloads": [<Payload as protobuf JSON>, …]}`, answered in the same shape; the UI adds an
`X-Namespace` header. `make dev` starts the UI with `--ui-codec-endpoint <api>/codec`.

Only signed-in users decode (the platform must accept their token):
- the CLI sends `Authorization: Bearer <platform token>`
  (`temporal workflow show --codec-endpoint … --codec-auth 'Bearer tok-…'`);
- the Web UI, which cannot send a token of ours, sends the dashboard's session cookie when its
  "Include cross-origin credentials" codec setting is on (the operator signs in to our dashboard
  first).
Browsers may call it cross-origin only from `CODEC_CORS_ORIGINS` (the Web UI's origin), and no
other route of the API answers cross-origin requests. See docs/security.md#payload-encryption.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from api.dashboard.access import stored_session
from api.deps import ServicesDep
from api.errors import ApiError
from api.platform_access import bearer_token, resolve_user
from payload_codec import PayloadDecryptionError
from recruiting_platform import User

PREFIX = "/codec"
# What the Web UI's codec requests carry besides cookies.
ALLOWED_HEADERS = ["authorization", "content-type", "x-namespace"]


async def codec_user(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[
        str | None, Header(description="`Bearer <token>`, or the dashboard's session cookie")
    ] = None,
) -> User:
    token = bearer_token(authorization)
    if token is None:
        found = await stored_session(request, services)
        token = found.token if found else None
    return await resolve_user(services, token)


router = APIRouter(prefix=PREFIX, tags=["codec"], dependencies=[Depends(codec_user)])
PayloadsBody = dict[str, list[dict[str, Any]]]
Transform = Callable[[Iterable[Payload]], Awaitable[list[Payload]]]


async def _apply(request: Request, transform: Transform) -> JSONResponse:
    try:
        payloads = json_format.Parse(await request.body(), Payloads())
    except json_format.ParseError as error:
        raise ApiError(400, "INVALID_PAYLOADS", f"Not a Temporal Payloads JSON: {error}") from None
    try:
        result = await transform(payloads.payloads)
    except PayloadDecryptionError as error:
        raise ApiError(422, "UNDECRYPTABLE_PAYLOAD", str(error)) from None
    return JSONResponse({"payloads": [json_format.MessageToDict(p) for p in result]})


async def _codec(services: ServicesDep) -> Any:
    """The codec of the API's own Temporal client: the keys every part of the system shares."""
    return services.temporal.data_converter.payload_codec


@router.post("/decode", response_model=PayloadsBody)
async def decode(request: Request, codec: Annotated[Any, Depends(_codec)]) -> JSONResponse:
    """Decrypt payloads (what the Web UI and `temporal workflow show` call to show them)."""
    return await _apply(request, codec.decode)


@router.post("/encode", response_model=PayloadsBody)
async def encode(request: Request, codec: Annotated[Any, Depends(_codec)]) -> JSONResponse:
    """Encrypt payloads (the Web UI encodes a signal's or a reset's input with it)."""
    return await _apply(request, codec.encode)


class CodecCors:
    """Starlette's CORS middleware for the codec routes only, with credentials (the dashboard
    cookie) allowed from `CODEC_CORS_ORIGINS`. Built on first use from the settings the app's
    lifespan loaded (building the app reads none)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._cors: CORSMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        if self._cors is None:
            settings = scope["app"].state.services.settings
            self._cors = CORSMiddleware(
                self.app,
                allow_origins=list(settings.codec_cors_origins),
                allow_methods=["POST"],
                allow_headers=ALLOWED_HEADERS,
                allow_credentials=True,
                max_age=600,
            )
        await self._cors(scope, receive, send)
