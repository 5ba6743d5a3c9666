"""An in-process cache for resolved references (``NAME@label`` -> version and its row).

Writes made by this process invalidate at once; changes made by another process become visible
after ``ttl`` seconds (``GENLOOP_CACHE_TTL``). A hit costs one dict lookup and one clock read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any

__all__ = ["RefCache"]

_MISSING = object()


class RefCache:
    """A small TTL cache keyed by tuples; ``invalidate(entity_type, project)`` drops one family."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        entry = self._data.get(key)
        if entry is None or entry[0] < time.monotonic():
            return _MISSING
        return entry[1]

    def put(self, key: Hashable, value: Any) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (time.monotonic() + self.ttl, value)

    def invalidate(self, *prefix: Hashable) -> None:
        """Drop every key whose leading elements equal ``prefix`` (all keys when empty)."""
        n = len(prefix)
        with self._lock:
            if not n:
                self._data.clear()
                return
            for key in [k for k in self._data if isinstance(k, tuple) and k[:n] == prefix]:
                del self._data[key]

    @staticmethod
    def is_missing(value: Any) -> bool:
        return value is _MISSING
