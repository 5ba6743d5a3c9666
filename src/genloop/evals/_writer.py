"""Batched writes of an evaluation: items, verdicts and cache entries go to the store in few transactions.

Writing each item alone would cost a transaction per item (and a round trip per item remotely); the writer
buffers them and flushes every ``interval`` seconds or ``batch`` entries, off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from genloop.evals._calls import CallOutcome, ModelTarget

__all__ = ["BatchWriter"]


class BatchWriter:
    """Buffers finished work of one run and writes it through ``backend.write_batch``."""

    def __init__(self, backend: Any, run_id: str, *, batch: int = 256, interval: float = 0.5) -> None:
        self.backend = backend
        self.run_id = run_id
        self.batch = batch
        self.interval = interval
        self.written_items = 0
        self._items: list[dict[str, Any]] = []
        self._pairs: list[dict[str, Any]] = []
        self._cache: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    def add_item(self, item: dict[str, Any]) -> None:
        self._items.append(item)
        self._maybe_wake()

    def add_pair(self, pair: dict[str, Any]) -> None:
        self._pairs.append(pair)
        self._maybe_wake()

    def add_cache(self, key: str, target: ModelTarget, outcome: CallOutcome) -> None:
        self._cache.append({"key": key, "provider": target.provider, "model": target.model,
                            "response": outcome.to_cache()})
        self._maybe_wake()

    def _maybe_wake(self) -> None:
        if len(self._items) + len(self._pairs) + len(self._cache) >= self.batch:
            self._wake.set()

    async def _loop(self) -> None:
        while not self._closed:
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except TimeoutError:
                pass
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write what is buffered now (one transaction)."""
        async with self._lock:
            items, pairs, cache = self._take()
            if items or pairs or cache:
                await asyncio.to_thread(self.backend.write_batch, self.run_id, items, pairs, cache)
                self.written_items += len(items)

    def _take(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        taken = (self._items, self._pairs, self._cache)
        self._items, self._pairs, self._cache = [], [], []
        return taken

    async def close(self) -> None:
        """Stop the background loop and write the rest."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            try:
                await self._task
            finally:
                self._task = None
        await self.flush()

    def flush_sync(self) -> None:
        """Write the rest without the event loop (after an interrupt tore it down)."""
        items, pairs, cache = self._take()
        if items or pairs or cache:
            self.backend.write_batch(self.run_id, items, pairs, cache)
