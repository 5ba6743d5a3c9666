"""PipelineService: versioned pipeline specs, and their runs (start, run the steps in order, resume, read)."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, Hint, InvalidInput, NotFound
from genloop.pipelines._runner import run_step
from genloop.pipelines._schemas import DONE_STATUSES, PipelineInfo, PipelineRun, StepState
from genloop.pipelines._spec import PipelineSpec, spec_hash
from genloop.pipelines._state import RunState, Services
from genloop.pipelines._tables import PipelineRow, PipelineStepRow, PipelineVersionRow
from genloop.pipelines._validate import check_refs, check_spec, dependencies, topological_order
from genloop.refs import validate_name
from genloop.store import Page, Store, utcnow
from genloop.store._registry import find_project
from genloop.store._versioned import VersionedKind

__all__ = ["PipelineService"]

KIND: VersionedKind[PipelineRow, PipelineVersionRow] = VersionedKind(
    "pipeline", PipelineRow, PipelineVersionRow, "pipeline_id")
_VERSIONED = ("dataset", "model", "prompt")
Progress = Callable[[str, str], None]


class PipelineService(RunState):
    """Every pipeline operation for one project; returns schemas and raises ``genloop.errors``."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor
        self.client = Services(store, project, self.actor)

    # -- specs -----------------------------------------------------------------------------------------

    def create(self, name: str, spec: PipelineSpec | dict[str, Any] | str, *, message: str = "",
               description: str | None = None) -> PipelineInfo:
        """A new version of pipeline ``name`` (identical to the latest: that version is returned).

        The spec is checked first (step names, kinds, parameters, ``${...}`` references, cycles):
        :class:`InvalidInput` names the step and the fix, and nothing is written.
        """
        validate_name(name, "pipeline name")
        parsed = PipelineSpec.load(spec)
        check_spec(parsed)
        content, digest = parsed.model_dump(mode="json"), spec_hash(parsed)

        def fn(session: Session) -> PipelineInfo:
            row, _created = KIND.create_version(
                session, project_name=self.project, name=name, actor=self.actor, content_hash=digest,
                description=description if description is not None else parsed.description,
                build=lambda parent, number: PipelineVersionRow(
                    pipeline_id=parent.id, version=number, spec=content, message=message, content_hash=digest,
                    created_by=self.actor))
            return _info(session, self.project, row)

        return self.store.db.write(fn)

    def get(self, ref: str) -> PipelineInfo:
        """The version ``ref`` points at: ``NAME`` (latest), ``NAME@3`` or ``NAME@label``."""
        with self.store.db.read() as session:
            _project, _parent, row = KIND.resolve(session, self.project, ref)
            return _info(session, self.project, row)

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[PipelineInfo]:
        """The latest version of every pipeline, by name."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            parents, total = KIND.list_parents(session, self.project, offset, limit)
            items = [_info(session, self.project, latest) for p in parents if (latest := KIND.latest(session, p))]
        return Page.build(items, total, offset, limit)

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[PipelineInfo]:
        """Every version of one pipeline, newest first."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            rows, total = KIND.list_versions(session, self.project, name, offset, limit)
            items = [_info(session, self.project, row) for row in rows]
        return Page.build(items, total, offset, limit)

    # -- runs ----------------------------------------------------------------------------------------------

    def start(self, name_or_ref: str, *, trigger: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
              resume: str | None = None, wait: bool = True, mode: str = "inprocess", local: bool = False,
              progress: Progress | None = None) -> PipelineRun:
        """Start a run of pipeline ``name_or_ref`` (what triggers call) and, with ``wait``, run it to the end.

        Parameters are the spec's defaults with ``params`` on top (an undeclared one is refused). Every version
        the spec names must resolve, or nothing runs. ``resume`` (a failed run id of the same pipeline, or
        ``"latest"``) reuses the outputs of that run's finished steps and runs the rest. ``mode`` is
        ``inprocess`` or ``subprocess`` (each step as ``genloop pipelines step RUN STEP``); without ``wait`` the
        steps run in a background thread and the run is returned while running. ``local`` lets steps read
        local files (the CLI sets it; a server never does).
        """
        if mode not in ("inprocess", "subprocess"):
            raise InvalidInput(f"unknown mode {mode!r}", hint="use inprocess or subprocess")
        from genloop.pipelines._orphans import executor_of_this_process

        run = self.create_run(name_or_ref, trigger=trigger, params=params, resume=resume,
                              executor=executor_of_this_process())
        if not wait:
            threading.Thread(target=self.execute, args=(run.id,), kwargs={"mode": mode, "local": local},
                             name=f"pipeline-{run.id[:8]}", daemon=True).start()
            return self.get_run(run.id)
        return self.execute(run.id, mode=mode, local=local, progress=progress)

    def create_run(self, name_or_ref: str, *, trigger: dict[str, Any] | None = None,
                   params: dict[str, Any] | None = None, resume: str | None = None,
                   key: str | None = None, executor: dict[str, Any] | None = None) -> PipelineRun:
        """Check and record a new pipeline run with its steps pending, running none of them (see :meth:`start`).

        ``key`` (an orchestrator's own run id) makes it idempotent: a run with that key is returned as is.
        ``executor`` (host, pid, start time: :func:`~genloop.pipelines._orphans.executor_of_this_process`) names
        the process that will run the steps, so a scheduler on that host can end the run if the process dies.
        """
        info = self.get(name_or_ref)
        if key is not None:
            existing = self._by_key(key, info.name)
            if existing is not None:
                return self.get_run(existing)
        spec = PipelineSpec.model_validate(info.spec)
        found = check_spec(spec)
        unknown = set(params or {}) - set(spec.params)
        if unknown:
            raise InvalidInput(f"pipeline {info.name!r} has no parameter(s) {', '.join(sorted(unknown))}",
                               hint=f"its parameters: {', '.join(spec.params) or 'none'}")
        merged = {**spec.params, **(params or {})}
        check_refs(self._resolve_ref, spec, merged, found)
        previous = self._resumable(info, resume) if resume else None
        run = self.client.runs.start("pipeline", name=info.name, params={
            "pipeline": info.name, "version": info.version, "params": merged, "trigger": trigger,
            "resumed_from": previous.id if previous else None, **({"key": key} if key else {}),
            **({"executor": executor} if executor else {})})
        order = topological_order(spec)

        def fn(session: Session) -> None:
            project = find_project(session, self.project)
            assert project is not None
            done = {s.name: s for s in previous.steps if s.status in DONE_STATUSES} if previous else {}
            for position, name in enumerate(order):
                row = PipelineStepRow(project_id=project.id, run_id=run.id, step=name, kind=spec.step(name).kind,
                                      position=position, status="pending", log="", outputs={})
                old = done.get(name)
                if old is not None and previous is not None:
                    row.status, row.outputs, row.step_run_id = "reused", old.outputs, old.run_id
                    row.cache_key, row.cached_from = old.cache_key, previous.id
                    row.log = f"resumed: the outputs of run {previous.id} are reused"
                session.add(row)

        try:
            self.store.db.write(fn)
        except BaseException as exc:  # no pipeline run is left running without its steps
            self.client.runs.finish(run.id, "failed", error=f"could not record the steps: {exc}")
            raise
        if key is not None:  # two starts with one key raced: the first one created wins, this one stands down
            first = self._by_key(key, info.name)
            if first is not None and first != run.id:
                self.client.runs.finish(run.id, "cancelled", error=f"duplicate of run {first} (key {key!r})")
                return self.get_run(first)
        return self.get_run(run.id)

    def execute(self, run_id: str, *, mode: str = "inprocess", local: bool = False,
                progress: Progress | None = None) -> PipelineRun:
        """Run every step not yet done, in dependency order, then finish the pipeline run."""
        run, spec = self.run_and_spec(run_id)
        try:
            for name in topological_order(spec):
                if progress:
                    progress(name, "running")
                if mode == "subprocess":
                    from genloop.pipelines._process import run_step_process

                    row = run_step_process(self, run_id, name)
                else:
                    row = run_step(self, run_id, name, local=local)
                if progress:
                    progress(name, row.status)
        except BaseException as exc:  # Ctrl-C or a store failure: neither the run nor a step stays "running"
            reason = f"{type(exc).__name__}: {exc}"
            for name, row in self.step_rows(run_id).items():
                if row.status == "running":
                    if row.step_run_id and self.client.runs.get(row.step_run_id).status == "running":
                        self.client.runs.finish(row.step_run_id, "cancelled", error=reason)
                    self.update_step(run_id, name, status="failed", error=f"interrupted: {reason}", ended_at=utcnow())
                elif row.status == "pending":
                    self.update_step(run_id, name, status="skipped", error="not run: the pipeline was interrupted",
                                     ended_at=utcnow())
            self.client.runs.finish(run_id, "cancelled" if isinstance(exc, KeyboardInterrupt) else "failed",
                                    error=reason)
            raise
        return self.finish_run(run_id)

    def finish_run(self, run_id: str, *, reason: str | None = None) -> PipelineRun:
        """End a pipeline run: steps that never ran are marked skipped; the run fails when any step did not
        succeed (``genloop pipelines finish``, an orchestrator's exit handler). A finished run is returned as is.
        ``reason`` says why a step still running is failed (default: its process ended without an outcome)."""
        run_id = self.resolve_run(run_id)
        if self.client.runs.get(run_id).status != "running":
            return self.get_run(run_id)
        states = self.step_rows(run_id)
        for name, row in states.items():
            if row.status == "running":  # its process died (a killed container) before recording an outcome
                if row.step_run_id and self.client.runs.get(row.step_run_id).status == "running":
                    self.client.runs.finish(row.step_run_id, "failed",
                                            error=reason or "the step ended without an outcome")
                states[name] = self.update_step(run_id, name, status="failed", ended_at=utcnow(),
                                                error=reason or "the step's process ended without recording an "
                                                                "outcome")
            elif row.status == "pending":
                states[name] = self.update_step(run_id, name, status="skipped", ended_at=utcnow(),
                                                error="not run: the pipeline stopped before this step")
        failed = [r for r in states.values() if r.status == "failed"] or [
            r for r in states.values() if r.status == "skipped"]
        if failed:
            self.client.runs.finish(run_id, "failed", error=f"step {failed[0].step!r} {failed[0].status}: "
                                    f"{failed[0].error}", summary={"failed": [r.step for r in failed]})
        else:
            self.client.runs.finish(run_id, "succeeded", summary={"steps": {n: r.status for n, r in states.items()}})
        return self.get_run(run_id)

    def step(self, run_id: str, step: str, *, local: bool = True) -> StepState:
        """Run one step of a started pipeline run (``genloop pipelines step``: subprocesses and containers)."""
        run_id = self.resolve_run(run_id)
        self.run_and_spec(run_id)[1].step(step)
        run_step(self, run_id, step, local=local)
        return self.get_run(run_id).step(step)

    def get_run(self, run_id: str) -> PipelineRun:
        """A pipeline run with the state of every step (``run_id`` may be ``key:KEY``)."""
        run_id = self.resolve_run(run_id)
        run, spec = self.run_and_spec(run_id)
        rows = sorted(self.step_rows(run_id).values(), key=lambda r: r.position)
        deps = {s.name: dependencies(s) for s in spec.steps}
        p = run.params or {}
        return PipelineRun(
            id=run.id, pipeline=p.get("pipeline", run.name), version=int(p.get("version", 0)), status=run.status,
            error=run.error, params=p.get("params") or {}, trigger=p.get("trigger"),
            resumed_from=p.get("resumed_from"), started_at=run.started_at, ended_at=run.ended_at,
            created_by=run.created_by,
            steps=[StepState(name=r.step, kind=r.kind, status=r.status, depends_on=deps.get(r.step, []),
                             run_id=r.step_run_id, cache_key=r.cache_key, cached_from=r.cached_from,
                             outputs=r.outputs or {}, error=r.error, log=r.log or "", started_at=r.started_at,
                             ended_at=r.ended_at) for r in rows])

    def runs(self, name: str | None = None, *, status: str | None = None, offset: int = 0,
             limit: int = 50) -> Page[PipelineRun]:
        """Pipeline runs, newest first (of one pipeline when ``name`` is given)."""
        from sqlalchemy import func

        from genloop.runs._tables import RunRow

        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return Page.build([], 0, offset, limit)
            where = [RunRow.project_id == project.id, RunRow.kind == "pipeline"]
            if name:
                where.append(RunRow.name == name)
            if status:
                where.append(RunRow.status == status)
            total = session.scalar(select(func.count()).select_from(RunRow).where(*where)) or 0
            ids = list(session.scalars(select(RunRow.id).where(*where)
                                       .order_by(RunRow.started_at.desc(), RunRow.id.desc()).offset(offset).limit(limit)))
        return Page.build([self.get_run(i) for i in ids], int(total), offset, limit)

    def _resumable(self, info: PipelineInfo, resume: str) -> PipelineRun:
        if resume == "latest":
            page = self.runs(info.name, status="failed", limit=1)
            if not page.items:
                raise NotFound(f"pipeline {info.name!r} has no failed run to resume",
                               hint=Hint(cli="run it without --resume", sdk="run it without resume=",
                                         rest='send no "resume"'))
            resume = page.items[0].id
        previous = self.get_run(resume)
        if previous.pipeline != info.name:
            raise InvalidInput(f"run {resume} is a run of pipeline {previous.pipeline!r}, not {info.name!r}")
        if previous.version != info.version:
            raise InvalidInput(f"run {resume} ran {info.name}@{previous.version}, not @{info.version}",
                               hint=Hint(cli=f"resume it as {info.name}@{previous.version}, or run the new version "
                                             "without --resume: its unchanged steps are skipped by the cache",
                                         sdk=f"resume it as {info.name}@{previous.version}, or run the new version "
                                             "without resume=: its unchanged steps are skipped by the cache",
                                         rest=f"resume it as {info.name}@{previous.version}, or run the new version "
                                              'without "resume": its unchanged steps are skipped by the cache'))
        if previous.status == "running":
            raise Conflict(f"run {resume} is still running", hint=Hint(
                "wait for it to end, then resume it (the scheduler ends a run whose process died)",
                cli=f"wait for it to end, then resume it; the scheduler ends a run whose process died, or end it "
                    f"yourself with: genloop pipelines finish {resume}"))
        return previous


def _info(session: Session, project: str, row: PipelineVersionRow) -> PipelineInfo:
    parent = session.get(PipelineRow, row.pipeline_id)
    assert parent is not None
    labels = [k for k, v in KIND.labels(session, KIND.project(session, project), parent.name).items()
              if v == row.version]
    return PipelineInfo(name=parent.name, version=row.version, ref=f"{parent.name}@{row.version}",
                        description=parent.description, spec=row.spec, message=row.message,
                        content_hash=row.content_hash, labels=builtins.sorted(labels), created_at=row.created_at,
                        created_by=row.created_by)
