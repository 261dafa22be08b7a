"""Rate limits of the API (per user and per client IP) and of the dashboard's sign-in (per IP).

Counted with the `limits` library over a moving window, in the storage
`RATE_LIMIT_STORAGE_URI` names: this process's memory by default, or a shared store (Redis,
Memcached, MongoDB) when several API processes must share one count. A request over a limit is
refused with 429 and a Retry-After that says when the oldest counted request leaves the window.
"""

from __future__ import annotations

import math
import time

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from api.errors import ApiError
from api.rate_limit_storage import PrunedMemoryStorage
from config import Settings

IN_PROCESS_SCHEME = "async+memory"


class RateLimits:
    """The limits one API process applies, and where it counts them."""

    def __init__(self, settings: Settings) -> None:
        uri = settings.rate_limit_storage_uri
        storage = (
            PrunedMemoryStorage(uri)
            if uri.startswith(f"{IN_PROCESS_SCHEME}://")
            else storage_from_string(uri)
        )
        if not isinstance(storage, Storage):
            raise ValueError("RATE_LIMIT_STORAGE_URI must name an async storage (async+…://)")
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_user = parse_many(settings.rate_limit_per_user)
        self._per_ip = parse_many(settings.rate_limit_per_ip)
        self._sign_in = parse_many(settings.rate_limit_sign_in)

    async def check_ip(self, ip: str) -> None:
        await self._hit("api-ip", ip, self._per_ip)

    async def check_user(self, user_id: int) -> None:
        await self._hit("api-user", str(user_id), self._per_user)

    async def check_sign_in(self, ip: str) -> None:
        await self._hit("sign-in-ip", ip, self._sign_in)

    async def _hit(self, scope: str, key: str, items: list[RateLimitItem]) -> None:
        for item in items:
            if not await self._limiter.hit(item, scope, key):
                stats = await self._limiter.get_window_stats(item, scope, key)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise ApiError(
                    429,
                    "RATE_LIMITED",
                    f"Too many requests (at most {item}); retry in {retry_after} s",
                    headers={"Retry-After": str(retry_after)},
                )


def client_ip(request: Request) -> str:
    """The client's address as uvicorn saw it (behind a proxy, run uvicorn with
    `--proxy-headers --forwarded-allow-ips` so this is the client, not the proxy)."""
    return request.client.host if request.client else "unknown"
