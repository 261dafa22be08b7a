"""The long-lived resources of the API process, built once in the app's lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.rate_limits import RateLimits
from config import Settings
from db.engine import SessionFactory
from recruiting_platform import CandidateListing, PlatformClient, User


@dataclass(frozen=True)
class RoleListing:
    """A role's candidates as the platform listed them at `fetched_at` (time.monotonic()):
    a write's check reads only their ids, a page their records (parsed on first use)."""

    fetched_at: float
    listing: CandidateListing


@dataclass
class AppServices:
    settings: Settings
    temporal: Client
    engine: AsyncEngine
    sessions: SessionFactory
    platform: PlatformClient
    # `GET /user/me` answers, briefly: every request is authenticated with the platform.
    users: TTLCache[str, User] = field(default_factory=lambda: user_cache(30.0))
    # A role's candidates, with when they were fetched: listings accept them for the cache's
    # life, writes only while younger than `settings.role_check_cache_seconds`.
    role_candidates: TTLCache[str, RoleListing] = field(
        default_factory=lambda: TTLCache(maxsize=MAX_CACHED, ttl=10.0)
    )
    # The dashboard's role pages: each role's candidates prepared for search and paging
    # (api.dashboard.role_page.RoleDirectory), kept longer than `role_candidates`.
    role_directories: TTLCache[str, Any] = field(
        default_factory=lambda: TTLCache(maxsize=MAX_CACHED, ttl=30.0)
    )
    # The role listings under way, so concurrent requests for one role share one call.
    role_lookups: dict[str, asyncio.Future[RoleListing]] = field(init=False, default_factory=dict)
    # Tokens the platform rejected, refused without asking it again for a while
    # (REJECTED_TOKEN_CACHE_SECONDS), and the `GET /user/me` calls under way, so concurrent
    # requests with one token share one call.
    rejected_tokens: TTLCache[str, bool] = field(init=False)
    user_lookups: dict[str, asyncio.Future[User]] = field(init=False, default_factory=dict)
    rate_limits: RateLimits = field(init=False)

    def __post_init__(self) -> None:
        self.rejected_tokens = TTLCache(
            maxsize=MAX_CACHED, ttl=self.settings.rejected_token_cache_seconds
        )
        self.rate_limits = RateLimits(self.settings)


MAX_CACHED = 10_000  # entries per cache; the least recently used goes first


def user_cache(ttl_seconds: float) -> TTLCache[str, User]:
    """Tokens' `GET /user/me` answers for `ttl_seconds` (0 keeps nothing)."""
    return TTLCache(maxsize=MAX_CACHED, ttl=ttl_seconds)
