"""Who is calling and what they may see, asked of the recruiting platform with their token.

The platform owns users, roles and candidates: a token is checked with `GET /user/me`, and a
role or candidate is the caller's only when the platform lists it for their token. Answers are
cached briefly (`AppServices.users`, `AppServices.role_candidates`), keyed by a hash of the token;
so is the platform's "no" (`AppServices.rejected_tokens`), and requests that arrive together with
one token share one `GET /user/me` (or one listing of a role). A token that cannot be one (not
RFC 6750's token68 characters, or too long) is refused without asking the platform.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time

from api.errors import ApiError, not_found
from api.services import AppServices, RoleListing
from recruiting_platform import (
    Candidate,
    CandidateListing,
    PlatformError,
    PlatformNotFound,
    PlatformUnauthorized,
    Role,
    User,
    UserToken,
)


class Caller:
    """The signed-in user and their token, for calls to the platform on their behalf."""

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token

    @property
    def credentials(self) -> UserToken:
        return UserToken(self.token)


def token_key(token: str, *parts: object) -> str:
    """Never keep raw tokens as keys: they would outlive the request in memory dumps."""
    return hashlib.sha256(token.encode()).hexdigest() + "".join(f"/{p}" for p in parts)


# RFC 6750's b64token (token68): ASCII letters, digits and -._~+/ with trailing '='.
_WELL_FORMED_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]{1,4096}=*")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def platform_unavailable(error: PlatformError) -> ApiError:
    return ApiError(
        503, "PLATFORM_UNAVAILABLE", f"The recruiting platform did not answer ({error})"
    )


async def resolve_user(services: AppServices, token: str | None) -> User:
    """The platform user behind a token, cached briefly; 401 when missing or rejected."""
    if not token:
        raise ApiError(401, "UNAUTHORIZED", "Authorization: Bearer <platform token> is required")
    if not _WELL_FORMED_TOKEN.fullmatch(token):
        raise ApiError(401, "UNAUTHORIZED", "The token is malformed")
    key = token_key(token)
    cached = services.users.get(key)
    if cached is not None:
        return cached
    if key in services.rejected_tokens:
        raise _rejected()
    lookup = services.user_lookups.get(key)
    if lookup is None:
        lookup = asyncio.ensure_future(_ask_platform(services, token, key))
        services.user_lookups[key] = lookup
        lookup.add_done_callback(lambda _: services.user_lookups.pop(key, None))
    # Shielded: one caller giving up does not cancel the others' shared call.
    return await asyncio.shield(lookup)


async def _ask_platform(services: AppServices, token: str, key: str) -> User:
    try:
        user = await services.platform.get_me(UserToken(token))
    except PlatformUnauthorized:
        services.rejected_tokens[key] = True
        raise _rejected() from None
    except PlatformError as error:
        raise platform_unavailable(error) from None
    services.users[key] = user
    return user


def _rejected() -> ApiError:
    return ApiError(401, "UNAUTHORIZED", "The platform rejected this token")


async def load_role(services: AppServices, caller: Caller, role_id: int) -> Role:
    try:
        return await services.platform.get_role(caller.credentials, role_id)
    except (PlatformNotFound, PlatformUnauthorized):
        raise not_found("Role not found") from None
    except PlatformError as error:
        raise platform_unavailable(error) from None


async def load_candidates(
    services: AppServices, caller: Caller, role_id: int, *, cached: bool = False
) -> list[Candidate]:
    """The role's candidates; `cached` accepts an answer up to a few seconds old (listings),
    otherwise one up to `role_check_cache_seconds` old."""
    listing = await _role_listing(services, caller, role_id, cached=cached)
    try:
        return listing.candidates
    except PlatformError as error:
        raise platform_unavailable(error) from None


async def load_candidate(
    services: AppServices, caller: Caller, role_id: int, candidate_id: int, *, cached: bool = False
) -> Candidate:
    """The candidate, or 404 whether the role or candidate does not exist or is someone else's.

    At most one platform call: listing a role's candidates already answers 404 for another's
    role. `cached` (reads) accepts the role's list up to a few seconds old, so a page polling a
    campaign does not fetch the whole role every time; a write accepts one only a moment old
    (`role_check_cache_seconds`), which a burst of PUTs for the role shares."""
    for candidate in await load_candidates(services, caller, role_id, cached=cached):
        if candidate.id == candidate_id:
            return candidate
    raise not_found("Candidate not found in this role")


async def check_candidate(
    services: AppServices, caller: Caller, role_id: int, candidate_id: int, *, cached: bool = False
) -> None:
    """`load_candidate`'s 404s and freshness, for a caller that needs no more than the check:
    it reads only the listing's ids (a campaign's writes, at every PUT)."""
    listing = await _role_listing(services, caller, role_id, cached=cached)
    try:
        ids = listing.ids
    except PlatformError as error:
        raise platform_unavailable(error) from None
    if candidate_id not in ids:
        raise not_found("Candidate not found in this role")


async def _role_listing(
    services: AppServices, caller: Caller, role_id: int, *, cached: bool
) -> CandidateListing:
    """The role's listing from the cache or the platform. Concurrent requests for the role
    share one platform call: a burst of PUTs for one role lists it once, not once each."""
    key = token_key(caller.token, "role", role_id)
    max_age = None if cached else services.settings.role_check_cache_seconds
    hit = services.role_candidates.get(key)
    if hit is not None and (max_age is None or time.monotonic() - hit.fetched_at <= max_age):
        return hit.listing
    lookup = services.role_lookups.get(key)
    if lookup is None:
        lookup = asyncio.ensure_future(_list_role(services, caller, role_id, key))
        services.role_lookups[key] = lookup
        lookup.add_done_callback(lambda _: services.role_lookups.pop(key, None))
    # Shielded: one caller giving up does not cancel the others' shared call.
    return (await asyncio.shield(lookup)).listing


async def _list_role(services: AppServices, caller: Caller, role_id: int, key: str) -> RoleListing:
    fetched_at = time.monotonic()
    try:
        listing = await services.platform.candidate_listing(caller.credentials, role_id)
    except (PlatformNotFound, PlatformUnauthorized):
        raise not_found("Role not found") from None
    except PlatformError as error:
        raise platform_unavailable(error) from None
    role_listing = RoleListing(fetched_at, listing)
    services.role_candidates[key] = role_listing
    return role_listing
