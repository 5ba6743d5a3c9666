"""Runs: one execution's params, metrics, series, artifacts and lineage edges; append-only, then frozen."""

from __future__ import annotations

import builtins
import contextlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, Hint, InvalidInput, NotFound
from genloop.runs._checks import check_json, check_key, check_metrics, check_points, check_step
from genloop.runs._context import ActiveRun
from genloop.runs._refs import TypedRef, parse_typed_ref, resolve_typed
from genloop.runs._schemas import FINAL_STATUSES, RUN_STATUSES, LineageNode, MetricPoint, Run, RunArtifact, RunInfo
from genloop.runs._tables import RunArtifactRow, RunMetricPoint, RunRefRow, RunRow
from genloop.runs._views import find_run, load_series, run_info, run_schema
from genloop.store import ArtifactStore, Page, Store, utcnow
from genloop.store._registry import ensure_project, find_project, record_audit

__all__ = ["RunService"]

_KIND_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class RunService:
    """Every run operation for one project; returns schemas and raises ``genloop.errors``."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, kind: str, *, name: str = "", params: dict[str, Any] | None = None,
              inputs: Sequence[str] = ()) -> Run:
        """Start a run; each input (``dataset:golden@3``, ``model:tiny@champion``) is resolved and recorded.

        An input that does not resolve raises and no run is created.
        """
        if not isinstance(kind, str) or not _KIND_RE.fullmatch(kind):
            raise InvalidInput(f"invalid run kind {kind!r}",
                               hint="use eval, tune, data, optimize, pipeline, or another lowercase word")
        if not isinstance(name, str) or len(name) > 256:
            raise InvalidInput("a run name is a string of at most 256 characters", hint=Hint(cli="shorten --name", sdk="shorten name=",
                                                                                                   rest='shorten "name"'))
        params = check_json(params, "params")
        typed = [parse_typed_ref(ref, require_type=True) for ref in ([inputs] if isinstance(inputs, str) else inputs)]
        run_id = uuid.uuid4().hex

        def write(session: Session) -> Run:
            project = ensure_project(session, self.project, self.actor)
            concrete = _unique(resolve_typed(session, self.project, ref) for ref in typed)
            row = RunRow(id=run_id, project_id=project.id, kind=kind, name=name or "", status="running",
                         params=params, metrics={}, summary={}, created_by=self.actor, started_at=utcnow())
            session.add(row)
            session.flush()
            for ref in concrete:
                session.add(_edge(run_id, "input", ref))
            record_audit(session, project, self.actor, "create", "run", run_id,
                         after={"kind": kind, "name": row.name, "inputs": [str(r) for r in concrete]})
            session.flush()
            return run_schema(session, row)

        return self.store.db.write(write)

    def run(self, kind: str, *, name: str = "", params: dict[str, Any] | None = None,
            inputs: Sequence[str] = ()) -> ActiveRun:
        """A context manager that starts a run and finishes it succeeded, or failed with the exception's message."""
        return ActiveRun(self, kind=kind, name=name, params=params, inputs=inputs)

    def finish(self, run_id: str, status: str = "succeeded", error: str | None = None,
               summary: dict[str, Any] | None = None) -> Run:
        """Finish a running run as succeeded, failed or cancelled; afterwards it is frozen."""
        if status not in FINAL_STATUSES:
            raise InvalidInput(f"invalid final status {status!r}", hint=f"use one of: {', '.join(FINAL_STATUSES)}")
        summary = check_json(summary, "summary")

        def write(session: Session) -> Run:
            row = self._running(session, run_id)
            row.status, row.error, row.summary, row.ended_at = status, error, summary, utcnow()
            project = find_project(session, self.project)
            assert project is not None
            record_audit(session, project, self.actor, "finish", "run", run_id, before={"status": "running"},
                         after={"status": status, "error": error})
            session.flush()
            return run_schema(session, row)

        return self.store.db.write(write)

    # -- logging -------------------------------------------------------------------------------

    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        """Merge ``params`` into the run's parameters."""
        params = check_json(params, "params")

        def write(session: Session) -> None:
            row = self._running(session, run_id)
            row.params = {**(row.params or {}), **params}

        self.store.db.write(write)

    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int | None = None) -> None:
        """Set scalar metrics (latest value wins); with ``step``, also append each to its series."""
        values = check_metrics(metrics)
        step = check_step(step) if step is not None else None

        def write(session: Session) -> None:
            row = self._running(session, run_id)
            row.metrics = {**(row.metrics or {}), **values}
            if step is not None:
                session.add_all(RunMetricPoint(run_id=run_id, key=k, step=step, value=v) for k, v in values.items())

        self.store.db.write(write)

    def log_series(self, run_id: str, key: str, points: Iterable[MetricPoint | tuple[int, float] | dict[str, Any]]
                   ) -> None:
        """Append points ``(step, value)`` to the series ``key`` (scalar metrics are left as they are)."""
        check_key(key)
        checked = check_points(points)

        def write(session: Session) -> None:
            self._running(session, run_id)
            session.add_all(RunMetricPoint(run_id=run_id, key=key, step=s, value=v) for s, v in checked)

        self.store.db.write(write)

    def log_artifact(self, run_id: str, name: str, local_path: str | os.PathLike[str]) -> RunArtifact:
        """Store a local file as artifact ``name`` of the run (immutable: a name is used once per run)."""
        path = Path(local_path)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise InvalidInput(f"artifact file {str(local_path)!r} {what}", hint="log one existing file per artifact")
        key = self._artifact_key(run_id, name)
        with self.store.db.read() as session:
            self._check_new_artifact(session, run_id, name, lock=False)
        self.store.artifacts.put_file(path, key)

        def write(session: Session) -> RunArtifact:
            self._check_new_artifact(session, run_id, name, lock=True)
            row = RunArtifactRow(run_id=run_id, name=name, artifact_key=key, size_bytes=path.stat().st_size,
                                 created_at=utcnow())
            session.add(row)
            session.flush()
            return RunArtifact.model_validate(row)

        try:
            return self.store.db.write(write)
        except BaseException:
            self.store.artifacts.delete(key)  # the name was free before the copy, so the file is ours
            raise

    def add_input(self, run_id: str, ref: str) -> str:
        """Record that the run read ``ref`` (typed); returns the concrete ref recorded (``dataset:golden@3``)."""
        return self._add_edge(run_id, "input", ref)

    def add_output(self, run_id: str, ref: str) -> str:
        """Record that the run wrote ``ref`` (typed); returns the concrete ref recorded (``model:tiny@4``)."""
        return self._add_edge(run_id, "output", ref)

    def _add_edge(self, run_id: str, direction: str, ref: str) -> str:
        typed = parse_typed_ref(ref, require_type=True)

        def write(session: Session) -> str:
            self._running(session, run_id)
            concrete = resolve_typed(session, self.project, typed)
            exists = session.scalar(select(RunRefRow.id).where(
                RunRefRow.run_id == run_id, RunRefRow.direction == direction,
                RunRefRow.entity_type == concrete.entity_type, RunRefRow.entity_name == concrete.name,
                RunRefRow.version == concrete.version))
            if exists is None:
                session.add(_edge(run_id, direction, concrete))
            return str(concrete)

        return self.store.db.write(write)

    # -- reading -------------------------------------------------------------------------------

    def get(self, run_id: str) -> Run:
        """One run with its params, metrics, series summaries, artifacts, inputs and outputs."""
        with self.store.db.read() as session:
            return run_schema(session, find_run(session, self.project, run_id))

    def list(self, *, kind: str | None = None, status: str | None = None, offset: int = 0,
             limit: int = 50) -> Page[RunInfo]:
        """Runs of the project, newest first, optionally of one kind and status."""
        offset, limit = self.store.page_bounds(offset, limit)
        if status is not None and status not in RUN_STATUSES:
            raise InvalidInput(f"invalid run status {status!r}", hint=f"use one of: {', '.join(RUN_STATUSES)}")
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return Page.build([], 0, offset, limit)
            where = [RunRow.project_id == project.id]
            if kind:
                where.append(RunRow.kind == kind)
            if status:
                where.append(RunRow.status == status)
            total = session.scalar(select(func.count()).select_from(RunRow).where(*where)) or 0
            rows = session.scalars(select(RunRow).where(*where).order_by(RunRow.started_at.desc(), RunRow.id.desc())
                                   .offset(offset).limit(limit))
            return Page.build([run_info(r) for r in rows], int(total), offset, limit)

    def series(self, run_id: str, key: str) -> builtins.list[MetricPoint]:
        """The points of metric series ``key``, in step order."""
        with self.store.db.read() as session:
            find_run(session, self.project, run_id)
            return load_series(session, run_id, key)

    def open_artifact(self, run_id: str, name: str) -> IO[bytes]:
        """Artifact ``name`` of the run, open for binary reading (close it when done)."""
        with self.store.db.read() as session:
            find_run(session, self.project, run_id)
            row = session.scalar(select(RunArtifactRow).where(RunArtifactRow.run_id == run_id,
                                                              RunArtifactRow.name == name))
            if row is None:
                known = list(session.scalars(select(RunArtifactRow.name).where(RunArtifactRow.run_id == run_id)))
                hint = f"artifacts of this run: {', '.join(sorted(known))}" if known else "this run has no artifacts"
                raise NotFound(f"run {run_id} has no artifact {name!r}", hint=hint)
        return self.store.artifacts.open(row.artifact_key, "rb")

    def download_artifact(self, run_id: str, name: str, dest: str | os.PathLike[str]) -> Path:
        """Copy artifact ``name`` to ``dest`` (a file path, or an existing folder); return the file written."""
        with self.open_artifact(run_id, name) as src:
            return write_download(name, dest, lambda out: shutil.copyfileobj(src, out, 1 << 20))

    def lineage(self, ref: str, *, kind: str | None = None, depth: int = 10) -> LineageNode:
        """The graph behind a version: the run that made it, that run's inputs, and so on up to ``depth``."""
        from genloop.runs._lineage import build_lineage

        with self.store.db.read() as session:
            return build_lineage(session, self.project, ref, kind=kind, depth=depth)

    # -- helpers -------------------------------------------------------------------------------

    def _running(self, session: Session, run_id: str, *, lock: bool = True) -> RunRow:
        """The run, locked against a concurrent finish, or :class:`Conflict` when it is frozen."""
        row = find_run(session, self.project, run_id, for_update=lock)
        if row.status != "running":
            raise Conflict(f"run {run_id} is {row.status}; a finished run is frozen and cannot change",
                           hint="start a new run to log more")
        return row

    def _artifact_key(self, run_id: str, name: str) -> str:
        try:
            if not isinstance(name, str) or len(name) > 256:
                raise InvalidInput("too long", hint="artifact names have at most 256 characters")
            ArtifactStore.check_key(name)
        except InvalidInput as exc:
            raise InvalidInput(f"invalid artifact name {name!r}", hint=exc.hint) from exc
        return f"runs/{run_id}/{name}"

    def _check_new_artifact(self, session: Session, run_id: str, name: str, *, lock: bool) -> None:
        self._running(session, run_id, lock=lock)
        taken = session.scalar(select(RunArtifactRow.id).where(RunArtifactRow.run_id == run_id,
                                                               RunArtifactRow.name == name))
        if taken is not None:
            raise Conflict(f"run {run_id} already has an artifact {name!r}",
                           hint="artifacts are immutable; log this file under another name")


def write_download(name: str, dest: str | os.PathLike[str], fill: Callable[[IO[bytes]], object]) -> Path:
    """Have ``fill(out)`` write artifact ``name`` to ``dest`` via a temporary file (a failure leaves nothing)."""
    target = Path(dest)
    if target.is_dir():
        target = target / name.rsplit("/", 1)[-1]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _edge(run_id: str, direction: str, ref: TypedRef) -> RunRefRow:
    return RunRefRow(run_id=run_id, direction=direction, entity_type=ref.entity_type, entity_name=ref.name,
                     version=ref.version)


def _unique(refs: Iterable[TypedRef]) -> list[TypedRef]:
    seen: dict[str, TypedRef] = {}
    for ref in refs:
        seen.setdefault(str(ref), ref)
    return list(seen.values())
