"""Typed async client for the recruiting platform's HTTP API.

One `PlatformClient` (one connection pool) serves every user: each call names whose
credentials it uses. Failures surface as the `PlatformError` family in `errors.py`.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any, TypeAlias, TypeVar

import httpx
from pydantic import TypeAdapter

from recruiting_platform.aiohttp_transport import AiohttpTransport
from recruiting_platform.candidate_listing import CandidateListing
from recruiting_platform.errors import (
    CandidateUnreachable,
    ChannelLoggedOut,
    ChannelUnavailable,
    PlatformError,
    PlatformNotFound,
    PlatformRejected,
    PlatformTimeout,
    PlatformTransient,
    PlatformUnauthorized,
    RateLimited,
)
from recruiting_platform.models import (
    Candidate,
    Channel,
    Message,
    PostMessageBody,
    PostMessageResponse,
    Role,
    User,
)
from recruiting_platform.parsing import parse_answer

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class UserToken:
    """Act with a user's own platform token (e.g. forwarded from a dashboard request)."""

    token: str = field(repr=False)


@dataclass(frozen=True)
class OnBehalfOf:
    """Act for a user with the service token; how background workers call the platform."""

    user_id: int


PlatformCredentials: TypeAlias = UserToken | OnBehalfOf

_USER = TypeAdapter(User)
_ROLE = TypeAdapter(Role)
_ROLES = TypeAdapter(list[Role])
_CHANNELS = TypeAdapter(list[Channel])
_POSTED = TypeAdapter(PostMessageResponse)
_MESSAGES = TypeAdapter(list[Message])


class PlatformClient:
    def __init__(
        self,
        base_url: str,
        service_token: str,
        *,
        timeout_seconds: float = 10.0,
        max_connections: int = 100,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._service_token = service_token
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_seconds),
            # aiohttp carries the requests: httpx's own pool cost more CPU than the rest of a
            # request (recruiting_platform/aiohttp_transport.py). Tests may pass their own.
            transport=transport or AiohttpTransport(max_connections=max_connections),
            headers={"Accept": "application/json"},
            # One client serves every user: a cookie the platform sets while answering for one
            # must never travel with another's request, so none is kept (httpx keeps them all).
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "PlatformClient":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def get_me(self, creds: PlatformCredentials) -> User:
        response = await self._request("GET", "/user/me", creds)
        return _parse(_USER, response)

    async def list_roles(self, creds: PlatformCredentials) -> list[Role]:
        response = await self._request("GET", "/role", creds)
        return _parse(_ROLES, response)

    async def get_role(self, creds: PlatformCredentials, role_id: int) -> Role:
        response = await self._request("GET", f"/role/{role_id}", creds)
        return _parse(_ROLE, response)

    async def list_candidates(self, creds: PlatformCredentials, role_id: int) -> list[Candidate]:
        return (await self.candidate_listing(creds, role_id)).candidates

    async def candidate_listing(self, creds: PlatformCredentials, role_id: int) -> CandidateListing:
        """The role's candidates, read lazily: `.ids` for a membership check, `.candidates`
        for the records."""
        response = await self._request("GET", f"/role/{role_id}/candidate", creds)
        return CandidateListing(
            response.content, where=_where(response), status_code=response.status_code
        )

    async def list_channels(self, creds: PlatformCredentials) -> list[Channel]:
        response = await self._request("GET", "/channel", creds)
        return _parse(_CHANNELS, response)

    async def post_message(
        self,
        creds: PlatformCredentials,
        *,
        channel_id: int,
        candidate_id: int,
        body: PostMessageBody,
        idempotency_key: str | None = None,
    ) -> PostMessageResponse:
        """Send a message. Pass an `idempotency_key` so a retry after a timeout cannot
        send it twice: the platform answers a repeated key with the first message's id."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = await self._request(
            "POST",
            f"/channel/{channel_id}/chat/{candidate_id}/message",
            creds,
            json=body.model_dump(mode="json"),
            headers=headers,
        )
        return _parse(_POSTED, response)

    async def list_messages(
        self, creds: PlatformCredentials, *, channel_id: int, candidate_id: int
    ) -> list[Message]:
        """Both directions of the chat with a candidate on one channel."""
        response = await self._request(
            "GET", f"/channel/{channel_id}/chat/{candidate_id}/message", creds
        )
        return _parse(_MESSAGES, response)

    def _auth_headers(self, creds: PlatformCredentials) -> dict[str, str]:
        match creds:
            case UserToken(token=token):
                return {"Authorization": f"Bearer {token}"}
            case OnBehalfOf(user_id=user_id):
                return {
                    "Authorization": f"Bearer {self._service_token}",
                    "X-On-Behalf-Of": str(user_id),
                }
        raise TypeError(f"unsupported platform credentials: {type(creds).__name__}")

    async def _request(
        self,
        method: str,
        path: str,
        creds: PlatformCredentials,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        request_headers = {**self._auth_headers(creds), **(headers or {})}
        try:
            response = await self._http.request(method, path, json=json, headers=request_headers)
        except httpx.TimeoutException as exc:
            raise PlatformTimeout(
                f"{method} {path}: no answer in time ({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise PlatformTransient(f"{method} {path}: {type(exc).__name__}") from exc
        logger.debug("platform %s %s -> %s", method, path, response.status_code)
        if response.is_success:
            return response
        raise _error_for(method, path, response)


def _parse(adapter: TypeAdapter[T], response: httpx.Response) -> T:
    return parse_answer(
        adapter, response.content, where=_where(response), status_code=response.status_code
    )


def _where(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path}"


def _error_for(method: str, path: str, response: httpx.Response) -> PlatformError:
    status = response.status_code
    code = _error_code(response)
    message = f"{method} {path} -> HTTP {status}" + (f" {code}" if code else "")
    if status in (401, 403):
        return PlatformUnauthorized(message, status_code=status, code=code)
    if status == 404:
        return PlatformNotFound(message, status_code=status, code=code)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(message, retry_after_seconds=retry_after, status_code=status, code=code)
    if code == "CHANNEL_ERROR":
        return ChannelUnavailable(message, status_code=status, code=code)
    if code == "CHANNEL_ERROR_CREDENTIALS":
        return ChannelLoggedOut(message, status_code=status, code=code)
    if code == "CANDIDATE_UNREACHABLE":
        return CandidateUnreachable(message, status_code=status, code=code)
    if status >= 500 or status == 408:
        return PlatformTransient(message, status_code=status, code=code)
    return PlatformRejected(message, status_code=status, code=code)


def _error_code(response: httpx.Response) -> str | None:
    """The platform's `error` code, if the body is the documented error shape."""
    try:
        payload = response.json()
    except ValueError:
        return None
    code = payload.get("error") if isinstance(payload, dict) else None
    return code if isinstance(code, str) else None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
