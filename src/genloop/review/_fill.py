"""Filling a queue: from traces by a saved filter, from an eval run, from the disagreements of two runs, from a
dataset version, or from given items. Each item is a snapshot; the same source is never added twice.

Sampling is deterministic: a trace is kept when ``sha256(seed:trace_id)`` read as a fraction is below the
rate, so the same filter and seed choose the same traces, and a higher rate keeps a superset.
"""

from __future__ import annotations

import builtins
import hashlib
import random
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from genloop.errors import InvalidInput, NotFound
from genloop.review._content import eval_payload, row_payload, trace_payload
from genloop.review._schemas import ItemsAdd, TraceFilter
from genloop.review._tables import ItemRow
from genloop.store._registry import require_project

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["FillMixin", "sampled"]

_CHUNK = 2000


def sampled(trace_id: str, rate: float, seed: int) -> bool:
    """Whether the deterministic sample at ``rate`` keeps ``trace_id``."""
    if rate >= 1:
        return True
    digest = hashlib.sha256(f"{seed}:{trace_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


class FillMixin:
    """The ``add_*`` methods of :class:`ReviewService`."""

    store: Store
    project: str
    actor: str

    def add_items(self, queue: str, items: builtins.list[dict[str, Any]]) -> int:
        """Add given items: each ``{"messages" | "inputs", "answer" | "answer_a"/"answer_b", "reference"}``.

        A pair's order is randomised per item and hidden from raters. Returns how many were new.
        """
        if not items:
            raise InvalidInput("no items given")
        rng = random.Random(f"{queue}:{len(items)}")
        rows = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not ({"answer", "answer_a"} & set(item)):
                raise InvalidInput(f"item {index} needs an 'answer' (or 'answer_a' and 'answer_b')",
                                   hint='e.g. {"messages": [{"role": "user", "content": "hi"}], "answer": "hello"}')
            key = "sha256:" + hashlib.sha256(repr(sorted(item.items())).encode()).hexdigest()[:40]
            payload = {k: item.get(k) for k in ("messages", "inputs", "answer", "answer_a", "answer_b", "reference")
                       if k in item} | {"origin": {"given": index}}
            rows.append({"source": "given", "source_key": key, "payload": payload,
                         "swapped": "answer_a" in item and rng.random() < 0.5})
        return self._insert(queue, iter(rows))

    def add_traces(self, queue: str, where: TraceFilter | dict[str, Any] | None = None) -> int:
        """Add the traces matching a saved filter (see :class:`TraceFilter`); returns how many were new."""
        from genloop.review._trace_filter import matching_traces

        spec = where if isinstance(where, TraceFilter) else TraceFilter.model_validate(where or {})
        with self.store.db.read() as session:
            project = require_project(session, self.project)
            ids = list(matching_traces(session, project.id, spec))
        return self._insert(queue, self._trace_rows(ids))

    def _trace_rows(self, ids: builtins.list[str]) -> Iterator[dict[str, Any]]:
        from genloop.tracing._tables import TraceRow

        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            with self.store.db.read() as session:
                found = {r.id: r for r in session.execute(select(TraceRow.id, TraceRow.input, TraceRow.output,
                                                                 TraceRow.deployment, TraceRow.variant)
                                                          .where(TraceRow.id.in_(chunk)))}
            for trace_id in chunk:
                r = found.get(trace_id)
                if r is None:
                    continue
                origin = {"trace_id": trace_id, "deployment": r.deployment, "variant": r.variant}
                yield {"source": "trace", "source_key": trace_id, "trace_id": trace_id,
                       "payload": trace_payload(r.input, r.output, origin)}

    def add_eval_run(self, queue: str, run_id: str, *, candidate: str | None = None) -> int:
        """Add the items of an eval run (first repeat; one candidate, or every one); returns how many were new."""
        from genloop.evals._tables import EvalItemRow

        with self.store.db.read() as session:
            self._eval_run(session, run_id)
            query = select(EvalItemRow).where(EvalItemRow.run_id == run_id, EvalItemRow.repeat == 0,
                                              EvalItemRow.status == "ok")
            if candidate:
                query = query.where(EvalItemRow.candidate == candidate)
            items = session.scalars(query.order_by(EvalItemRow.example_index, EvalItemRow.candidate)).all()
        if not items:
            raise InvalidInput(f"run {run_id} has no answered items" + (f" of candidate {candidate!r}" if candidate else ""))
        return self._insert(queue, ({
            "source": "eval_item", "source_key": f"item:{i.id}", "eval_item_id": i.id,
            "payload": eval_payload(i.inputs, i.output, i.reference,
                                    {"run_id": run_id, "example_id": i.example_id, "candidate": i.candidate,
                                     "eval_item_id": i.id})} for i in items))

    def add_comparison(self, queue: str, run_a: str, run_b: str, *, metric: str | None = None,
                       seed: int = 0) -> int:
        """Add, for pairwise review, the examples where two runs disagree (``metric`` differs, or the outputs
        differ when no metric is named), each pair in a random order hidden from raters."""
        from genloop.evals._tables import EvalItemRow

        with self.store.db.read() as session:
            rows = {}
            for run_id in (run_a, run_b):
                self._eval_run(session, run_id)
                rows[run_id] = {i.example_id: i for i in session.scalars(
                    select(EvalItemRow).where(EvalItemRow.run_id == run_id, EvalItemRow.repeat == 0,
                                              EvalItemRow.status == "ok").order_by(EvalItemRow.example_index))}
        shared = [e for e in rows[run_a] if e in rows[run_b]]
        if not shared:
            raise InvalidInput(f"runs {run_a} and {run_b} share no answered example", hint="compare runs on one dataset")
        rng = random.Random(f"{seed}:{run_a}:{run_b}")

        def pairs() -> Iterator[dict[str, Any]]:
            for example in shared:
                a, b = rows[run_a][example], rows[run_b][example]
                if metric is not None:
                    if metric not in (a.scores or {}) or (a.scores or {}).get(metric) == (b.scores or {}).get(metric):
                        continue
                elif (a.output or "").strip() == (b.output or "").strip():
                    continue
                payload = eval_payload(a.inputs, None, a.reference, {
                    "run_a": run_a, "run_b": run_b, "example_id": example, "eval_item_a": a.id, "eval_item_b": b.id,
                    "candidate_a": a.candidate, "candidate_b": b.candidate})
                payload.pop("answer")
                payload |= {"answer_a": a.output, "answer_b": b.output}
                yield {"source": "eval_pair", "source_key": f"pair:{a.id}/{b.id}", "eval_item_id": a.id,
                       "payload": payload, "swapped": rng.random() < 0.5}

        return self._insert(queue, pairs())

    def add_dataset(self, queue: str, ref: str, *, limit: int | None = None) -> int:
        """Add the rows of a dataset version (chat rows: the last assistant message is the answer)."""
        from genloop.datasets import DatasetService

        service = DatasetService(self.store, self.project, self.actor)
        version = service.get(ref)

        def rows() -> Iterator[dict[str, Any]]:
            for index, row in enumerate(service.iter_rows(version.ref)):
                if limit is not None and index >= limit:
                    return
                origin = {"dataset": version.ref, "row": index}
                yield {"source": "dataset_row", "source_key": f"{version.ref}#{index}",
                       "payload": row_payload(row, origin)}

        return self._insert(queue, rows())

    def add(self, queue: str, spec: ItemsAdd) -> int:
        """Add items from the one source ``spec`` names (see :class:`ItemsAdd`); returns how many were new."""
        given = [k for k in ("traces", "run_id", "comparison", "dataset", "items") if getattr(spec, k) is not None]
        if len(given) != 1:
            raise InvalidInput(f"give exactly one source of items, got {', '.join(given) or 'none'}",
                               hint="traces (a filter), run_id, comparison, dataset or items")
        if spec.traces is not None:
            return self.add_traces(queue, spec.traces)
        if spec.run_id is not None:
            return self.add_eval_run(queue, spec.run_id, candidate=spec.candidate)
        if spec.comparison is not None:
            c = spec.comparison
            return self.add_comparison(queue, c.run_a, c.run_b, metric=c.metric, seed=c.seed)
        if spec.dataset is not None:
            return self.add_dataset(queue, spec.dataset, limit=spec.limit)
        return self.add_items(queue, spec.items or [])

    def _eval_run(self, session: Session, run_id: str) -> None:
        from genloop.runs._tables import RunRow

        project = require_project(session, self.project)
        run = session.get(RunRow, run_id)
        if run is None or run.project_id != project.id or run.kind != "eval":
            raise NotFound(f"project {self.project!r} has no eval run {run_id!r}", hint="list them: genloop eval list")

    def _insert(self, queue: str, rows: Iterable[dict[str, Any]]) -> int:
        """Insert new items at the end of the queue in one transaction; returns how many were new."""
        batch = list(rows)

        def fn(session: Session) -> int:
            row = self._queue(session, queue, lock=True)[0]  # type: ignore[attr-defined]
            seen: set[str] = set()
            keys = [r["source_key"] for r in batch]
            for start in range(0, len(keys), _CHUNK):
                seen.update(session.scalars(select(ItemRow.source_key).where(
                    ItemRow.queue_id == row.id, ItemRow.source_key.in_(keys[start:start + _CHUNK]))))
            position = session.scalar(select(func.max(ItemRow.position)).where(ItemRow.queue_id == row.id))
            position = -1 if position is None else position
            new = []
            for item in batch:
                if item["source_key"] in seen:
                    continue
                seen.add(item["source_key"])
                position += 1
                new.append({"queue_id": row.id, "position": position, "trace_id": None, "eval_item_id": None,
                            "swapped": False, "ratings": 0, "done": False} | item)
            for start in range(0, len(new), _CHUNK):
                session.execute(insert(ItemRow.__table__), new[start:start + _CHUNK])  # Core: no ORM bookkeeping
            row.item_count = (row.item_count or 0) + len(new)
            return len(new)

        return self.store.db.write(fn)
