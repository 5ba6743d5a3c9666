"""Run one step of a pipeline run: resolve its parameters, pin its inputs, skip it when unchanged (cache by
content), else execute it as a GenLoop run of kind ``pipeline-step`` with lineage, and record the outcome.

:func:`run_step` reads everything it needs from the store (the pipeline run, its spec version and the earlier
steps' outputs), so the same function serves the in-process runner, ``genloop pipelines step RUN STEP``
in a subprocess, and a Kubeflow or Argo container.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import GenLoopError, InvalidInput
from genloop.pipelines._kinds import StepKind, get_kind, ref_slots
from genloop.pipelines._schemas import DONE_STATUSES
from genloop.pipelines._spec import EXPRESSION, PipelineSpec, StepSpec
from genloop.pipelines._tables import PipelineStepRow
from genloop.pipelines._validate import dependencies
from genloop.store import utcnow

__all__ = ["StepContext", "cache_key", "resolve_value", "run_step"]

_LOG_LIMIT = 64_000
_VERSIONED = ("dataset", "model", "prompt")


class StepContext:
    """What a step function gets: ``client`` (a :class:`genloop.Client` on the pipeline's store), names and ids,
    the trigger, ``local`` (run by a local command: may read local files) and ``log(message)``."""

    def __init__(self, *, client: Any, project: str, pipeline: str, pipeline_run_id: str, step: str,
                 run_id: str, trigger: dict[str, Any] | None, local: bool) -> None:
        self.client, self.project, self.pipeline = client, project, pipeline
        self.pipeline_run_id, self.step, self.run_id = pipeline_run_id, step, run_id
        self.trigger, self.local = trigger or {}, local
        self.lines: list[str] = []
        self.outputs_on_failure: dict[str, Any] | None = None

    def log(self, message: str) -> None:
        self.lines.append(f"{dt.datetime.now(dt.UTC):%H:%M:%S} {message}")

    @property
    def text(self) -> str:
        text = "\n".join(self.lines)
        return text if len(text) <= _LOG_LIMIT else "...\n" + text[-_LOG_LIMIT:]


class _Capture(logging.Handler):
    """The ``genloop`` log records of one thread, into the step's log."""

    def __init__(self, ctx: StepContext) -> None:
        super().__init__(logging.INFO)
        self.ctx, self.thread = ctx, threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.ctx.log(f"{record.levelname.lower()} {record.getMessage()}")


def resolve_value(value: Any, scope: dict[str, Any], step: str) -> Any:
    """``value`` with every ``${...}`` replaced from ``scope`` (``{"steps": {...}, "params": {...}, "trigger": {...}}``)."""
    if isinstance(value, dict):
        return {k: resolve_value(v, scope, step) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_value(v, scope, step) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = EXPRESSION.fullmatch(value.strip())
    if whole:
        return _lookup(whole.group(1), whole.group(2).lstrip("."), scope, step)
    return EXPRESSION.sub(lambda m: str(_lookup(m.group(1), m.group(2).lstrip("."), scope, step)), value)


def _lookup(root: str, path: str, scope: dict[str, Any], step: str) -> Any:
    node: Any = scope.get(root, {})
    for part in path.split(".") if path else []:
        if not isinstance(node, dict) or part not in node:
            raise InvalidInput(f"step {step!r}: ${{{root}.{path}}} has no value (no {part!r})",
                               hint="the step it names did not produce that output" if root == "steps"
                               else f"pass it: --param / params / the trigger's {part!r}")
        node = node[part]
    return node


def cache_key(kind: str, params: dict[str, Any], input_hashes: dict[str, str]) -> str:
    """``sha256:`` of the kind, the resolved parameters (inputs pinned to versions) and the inputs' content hashes."""
    canonical = orjson.dumps({"kind": kind, "params": params, "inputs": input_hashes},
                             option=orjson.OPT_SORT_KEYS, default=str)
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _pin(client: Any, entity: str, ref: str) -> tuple[str, str]:
    """The concrete ``NAME@N`` a reference names now, and a hash of its content."""
    if entity == "dataset":
        version = client.datasets.get(ref)
        return f"{version.name}@{version.version}", version.content_hash
    if entity == "run":  # a run is named by its id; a finished one never changes
        run = client.runs.get(ref)
        return run.id, f"run:{run.id}:{run.status}"
    if entity == "model":
        version = client.models.get(ref)
        return f"{version.name}@{version.version}", f"model:{version.name}@{version.version}:{version.uri}"
    version = client.prompts.get(ref)
    return f"{version.name}@{version.version}", getattr(version, "content_hash", f"{version.name}@{version.version}")


def run_step(service: Any, run_id: str, step_name: str, *, local: bool = True) -> PipelineStepRow:
    """Run step ``step_name`` of pipeline run ``run_id`` (see the module docstring); returns its row.

    A step already done is returned as is; a step whose dependencies did not all succeed is marked skipped.
    A failure is recorded (the step's run failed with the error) and not raised.
    """
    run, spec = service.run_and_spec(run_id)
    step = spec.step(step_name)
    rows = service.step_rows(run_id)
    row = rows[step_name]
    if row.status in DONE_STATUSES or row.status == "failed":
        return row
    deps = dependencies(step)
    blocked = [d for d in deps if rows[d].status not in DONE_STATUSES]
    if blocked:
        return service.update_step(run_id, step_name, status="skipped", ended_at=utcnow(),
                                   error=f"not run: step(s) {', '.join(blocked)} did not succeed")
    params_info = run.params or {}
    scope = {"steps": {name: r.outputs or {} for name, r in rows.items()},
             "params": params_info.get("params") or {}, "trigger": params_info.get("trigger") or {}}
    ctx = StepContext(client=service.client, project=service.project, pipeline=params_info.get("pipeline", ""),
                      pipeline_run_id=run_id, step=step_name, run_id="", trigger=params_info.get("trigger"),
                      local=local)
    try:
        kind = get_kind(step.kind, step=step_name)
        params, inputs, hashes = _prepare(service.client, kind, step, scope)
    except GenLoopError as exc:
        return service.update_step(run_id, step_name, status="failed", error=_error(exc), ended_at=utcnow(),
                                   started_at=utcnow())
    key = cache_key(kind.name, params, hashes)
    use_cache = kind.cacheable if step.cache is None else step.cache
    if use_cache:
        earlier = service.cached(key, exclude_run=run_id)
        if earlier is not None:
            ctx.log(f"unchanged: kind, parameters and inputs as in run {earlier.run_id} (step {earlier.step}); "
                    "its outputs are reused and the step is skipped")
            return service.update_step(run_id, step_name, status="cached", cache_key=key, outputs=earlier.outputs,
                                       step_run_id=earlier.step_run_id, cached_from=earlier.run_id,
                                       log=ctx.text, started_at=utcnow(), ended_at=utcnow())
    return _execute(service, ctx, kind, step, params, inputs, key)


def _prepare(client: Any, kind: StepKind, step: StepSpec, scope: dict[str, Any]
             ) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    params = resolve_value(step.params, scope, step.name)
    inputs: list[str] = []
    hashes: dict[str, str] = {}
    for path, entity in kind.refs.items():
        for container, key in ref_slots(params, path):
            value = container[key]
            if not isinstance(value, str) or (entity == "model" and ":" in value):
                continue  # a provider model (openai:gpt-4o) is not a registry version
            concrete, digest = _pin(client, entity, value)
            container[key] = concrete
            if entity in _VERSIONED:  # runs are not lineage inputs (they are not versions)
                inputs.append(f"{entity}:{concrete}")
            hashes[f"{entity}:{concrete}"] = digest
    if kind.params is not None:
        try:
            params = kind.params.model_validate(params).model_dump(exclude_unset=True)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
            raise InvalidInput(f"step {step.name!r}: invalid parameters once resolved: {problems}",
                               hint="check the values the ${...} expressions gave") from exc
    return params, inputs, hashes


def _execute(service: Any, ctx: StepContext, kind: StepKind, step: StepSpec, params: dict[str, Any],
             inputs: list[str], key: str) -> PipelineStepRow:
    runs = service.client.runs
    step_run = runs.start("pipeline-step", name=f"{ctx.pipeline}/{step.name}", inputs=inputs,
                          params={"pipeline_run": ctx.pipeline_run_id, "step": step.name, "kind": kind.name,
                                  "params": params, "cache_key": key})
    ctx.run_id = step_run.id
    service.update_step(ctx.pipeline_run_id, step.name, status="running", step_run_id=step_run.id, cache_key=key,
                        started_at=utcnow())
    capture = _Capture(ctx)
    logger = logging.getLogger("genloop")
    logger.addHandler(capture)
    try:
        outputs = kind.fn(ctx, params)
        if not isinstance(outputs, dict):
            raise InvalidInput(f"step kind {kind.name!r} returned {type(outputs).__name__}, not a dict of outputs")
        outputs = orjson.loads(orjson.dumps(outputs, default=str))
        undeclared = set(outputs) - set(kind.outputs) if kind.outputs else set()
        if undeclared:
            raise InvalidInput(f"step kind {kind.name!r} returned undeclared output(s) {', '.join(sorted(undeclared))}",
                               hint=f"declared: {', '.join(kind.outputs)}")
        for name, value in outputs.items():
            entity = kind.outputs.get(name)
            if kind.produces and entity in _VERSIONED and isinstance(value, str):
                runs.add_output(step_run.id, f"{entity}:{value}")
    except Exception as exc:  # noqa: BLE001 - any failure of a step (plugins too) is recorded on its run
        ctx.log(f"failed: {_error(exc)}")
        runs.finish(step_run.id, "failed", error=_error(exc), summary={"log_tail": ctx.text[-2000:]})
        return service.update_step(ctx.pipeline_run_id, step.name, status="failed", error=_error(exc),
                                   outputs=ctx.outputs_on_failure or {}, log=ctx.text, ended_at=utcnow())
    finally:
        logger.removeHandler(capture)
    runs.finish(step_run.id, "succeeded", summary={"outputs": outputs})
    return service.update_step(ctx.pipeline_run_id, step.name, status="succeeded", outputs=outputs, log=ctx.text,
                               ended_at=utcnow())


def _error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    hint = getattr(exc, "hint", None)
    if hint and hint not in text:
        text = f"{text} ({hint})"
    return text if isinstance(exc, GenLoopError) else f"{type(exc).__name__}: {text}"


def find_cached(session: Session, project_id: int, key: str, exclude_run: str) -> PipelineStepRow | None:
    """The newest step that ran (succeeded) with this cache key, in another pipeline run."""
    return session.scalar(
        select(PipelineStepRow).where(PipelineStepRow.project_id == project_id, PipelineStepRow.cache_key == key,
                                      PipelineStepRow.status == "succeeded", PipelineStepRow.run_id != exclude_run)
        .order_by(PipelineStepRow.id.desc()).limit(1))


def spec_of(data: dict[str, Any]) -> PipelineSpec:
    return PipelineSpec.model_validate(data)
