"""A small in-process cache whose entries expire, keyed by a hash of a token and more."""

from __future__ import annotations

import hashlib
import time
from typing import Generic, TypeVar

Value = TypeVar("Value")


def token_key(token: str, *parts: object) -> str:
    """Never keep raw tokens as keys: they would outlive the request in memory dumps."""
    return hashlib.sha256(token.encode()).hexdigest() + "".join(f"/{p}" for p in parts)


class TtlCache(Generic[Value]):
    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, Value]] = {}

    def get(self, key: str) -> Value | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, value: Value) -> None:
        if self.ttl_seconds <= 0:
            return
        if len(self._entries) >= self._max_entries:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl_seconds, value)
