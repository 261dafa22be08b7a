"""A short-lived cache of `GET /user/me` answers, keyed by a hash of the token."""

from __future__ import annotations

import hashlib
import time

from recruiting_platform import User


class UserCache:
    def __init__(self, ttl_seconds: float = 30.0, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, User]] = {}

    @staticmethod
    def _key(token: str) -> str:
        # Never keep raw tokens in memory longer than the request.
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token: str) -> User | None:
        entry = self._entries.get(self._key(token))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token: str, user: User) -> None:
        if len(self._entries) >= self._max_entries:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
        self._entries[self._key(token)] = (time.monotonic() + self.ttl_seconds, user)
