"""The in-process rate-limit store (`RATE_LIMIT_STORAGE_URI=async+memory://`), pruned lightly.

`limits`' async memory storage (5.8) starts a pruning pass after any hit once the last pass has
ended, and the pass hands each key's list of hits to a thread (`asyncio.to_thread`) for one
bisect. Under a burst of requests that is a pass per request and a thread hop per counted user
and address: 11.7 % of the API's samples at a burst of PUTs from 60 users (py-spy, `--gil`,
docs/performance.md), and threads taking the GIL from the event loop. Here the same pruning runs
at most once a second, in the event loop (a bisect per key takes microseconds). A moving window
counts the hits inside it by their time, so pruning changes memory only, never a count.
"""

from __future__ import annotations

import bisect
import time

from limits.aio.storage import MemoryStorage

PRUNE_EVERY_SECONDS = 1.0


class PrunedMemoryStorage(MemoryStorage):
    """`MemoryStorage` with its expiry pass replaced; not registered under a scheme of its own
    (no STORAGE_SCHEME here), `api.rate_limits` builds it for `async+memory://`."""

    def __init__(self, uri: str | None = None, **options: str) -> None:
        super().__init__(uri, **options)
        self._pruned_at = time.monotonic()

    # `limits` calls `self.__schedule_expiry()` from every hit; this is that name, mangled.
    async def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802
        now = time.monotonic()
        if now - self._pruned_at >= PRUNE_EVERY_SECONDS:
            self._pruned_at = now
            self.prune(time.time())

    def prune(self, now: float) -> None:
        """Forget the hits and counters expired at `now` (time.time()). Synchronous: no hit can
        interleave, and a lock in use is never dropped."""
        for key, events in list(self.events.items()):
            # Newest first: the expired ones are the tail.
            kept = bisect.bisect_left(events, -now, key=lambda entry: -entry.expiry)
            del events[kept:]
            if not events:
                self._forget(key, self.events)
        for key, expiry in list(self.expirations.items()):
            if expiry <= now:
                self.storage.pop(key, None)
                self._forget(key, self.expirations)

    def _forget(self, key: str, table: dict) -> None:
        lock = self.locks.get(key)
        if lock is not None and lock.locked():
            return
        table.pop(key, None)
        self.locks.pop(key, None)
