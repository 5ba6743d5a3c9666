"""The store side of an evaluation: runs, items, verdicts and the model-call cache, in one project.

:class:`LocalBackend` works on a :class:`~genloop.store.Store`; the REST routes call it, and the remote
client's twin (``genloop.client._evals.RemoteBackend``) speaks to those routes with the same methods, so the
engine runs unchanged in-process or against a server. A finished run is frozen (as every Run); resuming
starts a new run that carries over the finished items of the old one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, Hint, NotFound
from genloop.evals._schemas import EvalItem, EvalPair
from genloop.evals._tables import EvalItemRow, EvalPairRow, EvalRunRow, ModelCallCacheRow
from genloop.store import Page, Store
from genloop.store._registry import find_project

__all__ = ["LocalBackend"]

_ITEM_COLUMNS = [c.name for c in EvalItemRow.__table__.columns if c.name not in {"id", "run_id"}]
_PAIR_COLUMNS = [c.name for c in EvalPairRow.__table__.columns if c.name not in {"id", "run_id"}]
_CHUNK = 500


class LocalBackend:
    """Evaluation storage in one project of a store (``actor`` is recorded on runs and the audit log)."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        from genloop.runs import RunService

        self.store = store
        self.project = project
        self.runs = RunService(store, project=project, actor=actor)

    # -- runs ----------------------------------------------------------------------------------

    def start_run(self, *, name: str, spec: dict[str, Any], spec_hash: str, params: dict[str, Any],
                  inputs: list[str], planned_items: int, planned_pairs: int) -> str:
        """Start a Run of kind ``eval`` with its eval extension row; returns the run id."""
        run = self.runs.start("eval", name=name, params={**params, "spec_hash": spec_hash}, inputs=inputs)

        def write(session: Session) -> None:
            project = find_project(session, self.project)
            assert project is not None
            session.add(EvalRunRow(run_id=run.id, project_id=project.id, spec_hash=spec_hash, spec=spec,
                                   planned_items=planned_items, planned_pairs=planned_pairs))

        self.store.db.write(write)
        return run.id

    def find_resumable(self, spec_hash: str) -> str | None:
        """The latest run of this spec hash that did not succeed (and did not fail on the spec itself)."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return None
            ids = list(session.scalars(
                select(EvalRunRow.run_id).where(EvalRunRow.project_id == project.id, EvalRunRow.spec_hash == spec_hash)
                .order_by(EvalRunRow.created_at.desc()).limit(1)))
        if not ids:
            return None
        run = self.runs.get(ids[0])
        if run.status == "succeeded" or (run.summary or {}).get("reason") == "invalid_spec":
            return None
        return run.id

    def run_info(self, run_id: str) -> dict[str, Any]:
        """The run (as JSON) with its spec, spec hash and planned counts."""
        run = self.runs.get(run_id)
        with self.store.db.read() as session:
            row = session.get(EvalRunRow, run_id)
            if row is None:
                raise NotFound(f"run {run_id} is not an evaluation", hint="list them with: genloop eval list")
            extra = {"spec": row.spec, "spec_hash": row.spec_hash, "planned_items": row.planned_items,
                     "planned_pairs": row.planned_pairs}
            counts = dict(session.execute(select(EvalItemRow.status, func.count()).where(EvalItemRow.run_id == run_id)
                                          .group_by(EvalItemRow.status)).all())
        return {"run": run.model_dump(mode="json"), **extra, "item_counts": counts}

    def list_runs(self, offset: int = 0, limit: int = 50) -> Page[Any]:
        """Evaluation runs of the project, newest first."""
        return self.runs.list(kind="eval", offset=offset, limit=limit)

    def finish(self, run_id: str, *, status: str, error: str | None, metrics: dict[str, float],
               summary: dict[str, Any]) -> None:
        """Record the aggregates and close the run (it is frozen afterwards)."""
        if metrics:
            self.runs.log_metrics(run_id, metrics)
        self.runs.finish(run_id, status=status, error=error, summary=summary)

    def continue_from(self, old_run_id: str, new_run_id: str) -> float:
        """Carry the finished items and verdicts of ``old_run_id`` into ``new_run_id``; close the old run if it
        was left running (a crash); return the USD those items cost when they were made."""
        old = self.runs.get(old_run_id)
        if old.status == "running":
            self.runs.finish(old_run_id, status="cancelled", error=f"resumed as run {new_run_id}",
                             summary={"reason": "resumed", "resumed_by": new_run_id})

        def write(session: Session) -> float:
            for table, columns, done in ((EvalItemRow, _ITEM_COLUMNS, ("ok",)),
                                         (EvalPairRow, _PAIR_COLUMNS, ("ok", "unparsed"))):
                cols = [getattr(table, c) for c in columns]
                source = select(*cols, literal(new_run_id).label("run_id")).where(
                    table.run_id == old_run_id, table.status.in_(done))
                session.execute(insert(table).from_select([*columns, "run_id"], source))
            spent = session.scalar(select(func.coalesce(func.sum(EvalItemRow.spent), 0.0))
                                   .where(EvalItemRow.run_id == new_run_id)) or 0.0
            spent += session.scalar(select(func.coalesce(func.sum(EvalPairRow.spent), 0.0))
                                    .where(EvalPairRow.run_id == new_run_id)) or 0.0
            return float(spent)

        return self.store.db.write(write)

    # -- items ---------------------------------------------------------------------------------

    def write_batch(self, run_id: str, items: list[dict[str, Any]], pairs: list[dict[str, Any]],
                    cache: list[dict[str, Any]]) -> None:
        """Write finished items, verdicts and new cache entries in one transaction (the run must be running)."""
        def write(session: Session) -> None:
            self._check_running(session, run_id)
            if items:
                session.execute(insert(EvalItemRow), [{**i, "run_id": run_id} for i in items])
            if pairs:
                session.execute(insert(EvalPairRow), [{**p, "run_id": run_id} for p in pairs])
            if cache:
                self._cache_insert(session, cache)

        self.store.db.write(write)

    def done_items(self, run_id: str) -> list[dict[str, Any]]:
        """Key fields and output of every finished item (what a resumed run must not redo)."""
        with self.store.db.read() as session:
            rows = session.execute(select(EvalItemRow.example_id, EvalItemRow.candidate, EvalItemRow.repeat,
                                          EvalItemRow.output).where(EvalItemRow.run_id == run_id,
                                                                    EvalItemRow.status == "ok"))
            return [{"example_id": r[0], "candidate": r[1], "repeat": r[2], "output": r[3]} for r in rows]

    def done_pairs(self, run_id: str) -> list[dict[str, Any]]:
        with self.store.db.read() as session:
            rows = session.execute(select(EvalPairRow.judge, EvalPairRow.example_id, EvalPairRow.candidate_a,
                                          EvalPairRow.candidate_b, EvalPairRow.repeat)
                                   .where(EvalPairRow.run_id == run_id, EvalPairRow.status != "error"))
            return [{"judge": r[0], "example_id": r[1], "candidate_a": r[2], "candidate_b": r[3], "repeat": r[4]}
                    for r in rows]

    def items(self, run_id: str, offset: int = 0, limit: int = 50, *, candidate: str | None = None,
              status: str | None = None) -> Page[EvalItem]:
        """A page of the run's items in example order."""
        offset, limit = self.store.page_bounds(offset, limit)
        where = [EvalItemRow.run_id == run_id]
        if candidate:
            where.append(EvalItemRow.candidate == candidate)
        if status:
            where.append(EvalItemRow.status == status)
        with self.store.db.read() as session:
            self._require_eval(session, run_id)
            total = session.scalar(select(func.count()).select_from(EvalItemRow).where(*where)) or 0
            rows = session.scalars(select(EvalItemRow).where(*where).order_by(
                EvalItemRow.example_index, EvalItemRow.candidate, EvalItemRow.repeat).offset(offset).limit(limit))
            return Page.build([EvalItem.model_validate(r) for r in rows], int(total), offset, limit)

    def pairs(self, run_id: str, offset: int = 0, limit: int = 50) -> Page[EvalPair]:
        """A page of the run's pairwise verdicts in example order."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            self._require_eval(session, run_id)
            where = EvalPairRow.run_id == run_id
            total = session.scalar(select(func.count()).select_from(EvalPairRow).where(where)) or 0
            rows = session.scalars(select(EvalPairRow).where(where).order_by(
                EvalPairRow.example_index, EvalPairRow.judge, EvalPairRow.candidate_a, EvalPairRow.candidate_b,
                EvalPairRow.repeat).offset(offset).limit(limit))
            return Page.build([EvalPair.model_validate(r) for r in rows], int(total), offset, limit)

    def all_items(self, run_id: str) -> list[EvalItem]:
        return _drain(lambda o: self.items(run_id, o, 1000))

    def all_pairs(self, run_id: str) -> list[EvalPair]:
        return _drain(lambda o: self.pairs(run_id, o, 1000))

    # -- cache ---------------------------------------------------------------------------------

    def cache_get(self, keys: list[str]) -> dict[str, Any]:
        """Cached replies for those of ``keys`` that have one."""
        found: dict[str, Any] = {}
        with self.store.db.read() as session:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                found.update(session.execute(select(ModelCallCacheRow.key, ModelCallCacheRow.response)
                                             .where(ModelCallCacheRow.key.in_(chunk))).all())
        return found

    def cache_put(self, entries: list[dict[str, Any]]) -> None:
        """Store replies (``key``, ``provider``, ``model``, ``response``); existing keys are left as they are."""
        self.store.db.write(lambda session: self._cache_insert(session, entries))

    def _cache_insert(self, session: Session, entries: Iterable[dict[str, Any]]) -> None:
        unique = {e["key"]: e for e in entries}
        if not unique:
            return
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        rows = [{"key": e["key"], "provider": e["provider"], "model": e["model"], "response": e["response"]}
                for e in unique.values()]
        for start in range(0, len(rows), _CHUNK):
            session.execute(dialect_insert(ModelCallCacheRow).on_conflict_do_nothing(), rows[start:start + _CHUNK])

    # -- helpers -------------------------------------------------------------------------------

    def _require_eval(self, session: Session, run_id: str) -> EvalRunRow:
        project = find_project(session, self.project)
        row = session.get(EvalRunRow, run_id)
        if row is None or project is None or row.project_id != project.id:
            raise NotFound(f"evaluation run {run_id!r} does not exist in project {self.project!r}",
                           hint=Hint(cli=f"list them with: genloop eval list --project {self.project}",
                                     sdk="list them with: client.evals.list()",
                                     rest=f"list them with: GET /api/v1/projects/{self.project}/evals/runs"))
        return row

    def _check_running(self, session: Session, run_id: str) -> None:
        from genloop.runs._tables import RunRow

        self._require_eval(session, run_id)
        status = session.scalar(select(RunRow.status).where(RunRow.id == run_id))
        if status != "running":
            raise Conflict(f"run {run_id} is {status}; its items are frozen",
                           hint="another process may have resumed it; run the spec again to resume")


def _drain(fetch: Any) -> list[Any]:
    out: list[Any] = []
    offset: int | None = 0
    while offset is not None:
        page = fetch(offset)
        out.extend(page.items)
        offset = page.next_offset
    return out
