"""The state of pipeline runs in the store, as the runner and the service read and write it: a run and its
spec, its step rows, a step's update, the content cache lookup, output lineage, and runs found by key."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Hint, NotFound
from genloop.pipelines._runner import find_cached
from genloop.pipelines._spec import PipelineSpec
from genloop.pipelines._tables import PipelineStepRow
from genloop.store import Store
from genloop.store._registry import find_project

__all__ = ["RunState", "Services"]

_VERSIONED = ("dataset", "model", "prompt")


class Services:
    """The domain services a step calls, bound to the pipeline's store, project and actor (a Client's shape)."""

    def __init__(self, store: Store, project: str, actor: str) -> None:
        self._store, self.project, self.actor = store, project, actor

    def _make(self, module: str, cls: str) -> Any:
        import importlib

        return getattr(importlib.import_module(module), cls)(self._store, project=self.project, actor=self.actor)

    datasets = functools.cached_property(lambda self: self._make("genloop.datasets", "DatasetService"))
    prompts = functools.cached_property(lambda self: self._make("genloop.prompts", "PromptService"))
    models = functools.cached_property(lambda self: self._make("genloop.models", "ModelService"))
    runs = functools.cached_property(lambda self: self._make("genloop.runs", "RunService"))
    evals = functools.cached_property(lambda self: self._make("genloop.evals", "EvalService"))
    deployments = functools.cached_property(lambda self: self._make("genloop.deployments", "DeploymentService"))
    feedback = functools.cached_property(lambda self: self._make("genloop.feedback", "FeedbackService"))
    quality = functools.cached_property(lambda self: self._make("genloop.quality", "QualityService"))
    tuning = functools.cached_property(lambda self: self._make("genloop.tuning", "TuningService"))
    reviews = functools.cached_property(lambda self: self._make("genloop.governance", "ReviewService"))


class RunState:
    """Mixed into :class:`PipelineService` (which sets ``store``, ``project``, ``actor`` and ``client``)."""

    store: Store
    project: str
    actor: str
    client: Services
    get: Callable[[str], Any]  # PipelineService.get: the pipeline version a ref names

    def resolve_run(self, text: str) -> str:
        """A pipeline run id from ``RUN_ID`` or ``key:KEY`` (the orchestrator's run id given at creation)."""
        if not text.startswith("key:"):
            return text
        found = self._by_key(text[4:], None)
        if found is None:
            raise NotFound(f"no pipeline run has key {text[4:]!r}",
                           hint=Hint(cli="the start task (genloop pipelines start --key) must run first",
                                     sdk="the start task (genloop pipelines start --key in the orchestrator) must run "
                                         "first"))
        return found

    def _by_key(self, key: str, pipeline: str | None) -> str | None:
        """The first pipeline run created with ``key`` (among the latest 500: orchestrators start steps soon); when
        two starts with one key raced, both agree on this one and the other is cancelled."""
        from genloop.runs._tables import RunRow

        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return None
            where = [RunRow.project_id == project.id, RunRow.kind == "pipeline"]
            if pipeline:
                where.append(RunRow.name == pipeline)
            rows = session.execute(select(RunRow.id, RunRow.params, RunRow.started_at).where(*where)
                                   .order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(500)).all()
        matching = [(started, rid) for rid, params, started in rows if (params or {}).get("key") == key]
        return min(matching)[1] if matching else None

    # -- used by the runner ------------------------------------------------------------------------------

    def run_and_spec(self, run_id: str) -> tuple[Any, PipelineSpec]:
        run = self.client.runs.get(run_id)
        if run.kind != "pipeline":
            raise NotFound(f"run {run_id} is a {run.kind} run, not a pipeline run",
                           hint="list pipeline runs with: genloop pipelines runs")
        p = run.params or {}
        info = self.get(f"{p.get('pipeline')}@{p.get('version')}")
        return run, PipelineSpec.model_validate(info.spec)

    def step_rows(self, run_id: str) -> dict[str, PipelineStepRow]:
        with self.store.db.read() as session:
            rows = session.scalars(select(PipelineStepRow).where(PipelineStepRow.run_id == run_id))
            return {r.step: r for r in rows}

    def update_step(self, run_id: str, step: str, **values: Any) -> PipelineStepRow:
        def fn(session: Session) -> PipelineStepRow:
            row = session.scalar(select(PipelineStepRow).where(PipelineStepRow.run_id == run_id,
                                                               PipelineStepRow.step == step))
            if row is None:
                raise NotFound(f"pipeline run {run_id} has no step {step!r}")
            for key, value in values.items():
                setattr(row, key, value)
            session.flush()
            session.expunge(row)
            return row

        return self.store.db.write(fn)

    def cached(self, key: str, *, exclude_run: str) -> PipelineStepRow | None:
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            row = find_cached(session, project.id, key, exclude_run) if project else None
            if row is not None:
                session.expunge(row)
            return row

    def _resolve_ref(self, entity: str, ref: str) -> None:
        getattr(self.client, f"{entity}s").get(ref)
