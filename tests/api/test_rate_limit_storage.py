"""The in-process rate-limit store: the same counts as `limits`' own memory storage, its
expired hits forgotten by a pass in the event loop, never by threads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from api.rate_limit_storage import PrunedMemoryStorage
from api.rate_limits import RateLimits
from config import Settings

THREE_A_SECOND = parse("3/second")


async def test_a_moving_window_counts_the_same_and_pruning_keeps_the_hits_inside_it() -> None:
    storage = PrunedMemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    assert [await limiter.hit(THREE_A_SECOND, "user", "7") for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    storage.prune(time.time())  # nothing has expired: the window still holds three hits
    assert not await limiter.hit(THREE_A_SECOND, "user", "7")
    assert len(next(iter(storage.events.values()))) == 3


async def test_expired_hits_and_counters_are_forgotten() -> None:
    storage = PrunedMemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    for user in range(5):
        await limiter.hit(THREE_A_SECOND, "user", str(user))
    await storage.incr("counter", expiry=1)
    storage.prune(time.time() + 1.5)
    assert storage.events == {} and storage.expirations == {} and not storage.storage
    assert not storage.locks


async def test_a_key_whose_lock_is_held_is_not_forgotten() -> None:
    storage = PrunedMemoryStorage()
    await MovingWindowRateLimiter(storage).hit(THREE_A_SECOND, "user", "7")
    (key,) = storage.events
    async with storage.locks[key]:
        storage.prune(time.time() + 1.5)
        assert key in storage.locks and key in storage.events


class CountingExecutor(ThreadPoolExecutor):
    """The event loop's default executor (where `asyncio.to_thread` runs), counting its jobs."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.jobs = 0

    def submit(self, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs += 1
        return super().submit(*args, **kwargs)


def jobs_in_threads(hits: Callable[[], Awaitable[None]]) -> int:
    """Run `hits` on a fresh event loop; how many jobs it handed to threads."""
    executor = CountingExecutor()

    async def scenario() -> None:
        asyncio.get_running_loop().set_default_executor(executor)
        await hits()

    asyncio.run(scenario())
    return executor.jobs


def test_the_api_counts_in_process_without_threads() -> None:
    async def hits() -> None:
        limits = RateLimits(Settings())
        assert isinstance(limits._limiter.storage, PrunedMemoryStorage)
        for request in range(200):
            await limits.check_ip("192.0.2.1")
            await limits.check_user(request % 50)
            await asyncio.sleep(0)  # the event loop runs whatever a hit scheduled

    assert jobs_in_threads(hits) == 0


def test_limits_own_memory_storage_prunes_with_threads() -> None:
    """Why the store above exists: the stock one hands every key to a thread on each pass."""

    async def hits() -> None:
        limiter = MovingWindowRateLimiter(MemoryStorage())
        for request in range(200):
            await limiter.hit(THREE_A_SECOND, "user", str(request % 50))
            await asyncio.sleep(0)

    assert jobs_in_threads(hits) > 0
