"""The built-in step kinds, registered through ``register_pipeline_steps`` like any plugin's.

Each wraps one existing service through ``ctx.client`` (a :class:`genloop.Client` on the pipeline's store),
so a step does exactly what the same CLI command or SDK call does, with the same checks and lineage.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import Field

from genloop.errors import InvalidInput
from genloop.hookspecs import hookimpl
from genloop.pipelines._builtin_data import (
    CleanP,
    DatasetP,
    DecontaminateP,
    DedupP,
    FeedbackExportP,
    ImportP,
    ScrubP,
    SplitP,
    _dataset,
    _feedback_export,
    _import,
    _quality,
    _split,
)
from genloop.pipelines._kinds import StepKind
from genloop.pipelines._kinds import StepParams as _P

__all__ = ["GateFailed"]


class GateFailed(InvalidInput):
    """A gate step whose gates did not all pass: the pipeline stops there."""


# -- models ----------------------------------------------------------------------------------------------


class TuneP(_P):
    spec: dict[str, Any] = Field(description="A tuning spec (as `genloop tune run`'s YAML)")


def _tune(ctx: Any, p: TuneP) -> dict[str, Any]:
    result = ctx.client.tuning.run(p.spec)
    metrics = {k: v for k, v in result.metrics.items() if isinstance(v, int | float)}
    return {"model": f"{result.model.name}@{result.model.version}", "run": result.run.id, "metrics": metrics}


class QuantizeP(_P):
    model: str
    method: str = "dynamic-int8"
    name: str | None = None
    dataset: str | None = None
    limit: int = 32


def _quantize(ctx: Any, p: QuantizeP) -> dict[str, Any]:
    result = ctx.client.tuning.quantize(p.model, method=p.method, name=p.name, dataset=p.dataset, limit=p.limit)
    return {"model": f"{result.model.name}@{result.model.version}", "run": result.run.id}


# -- evaluation ------------------------------------------------------------------------------------------


class EvalP(_P):
    spec: dict[str, Any] = Field(description="An evaluation spec (as `genloop eval run`'s YAML)")
    gates: list[str] = Field(default_factory=list)


def _eval(ctx: Any, p: EvalP) -> dict[str, Any]:
    result = ctx.client.evals.run(p.spec, gates=p.gates or None, resume=False)
    if result.status != "succeeded":
        raise InvalidInput(f"evaluation run {result.run_id} ended {result.status}: {result.error or result.reason}")
    gates = [g.model_dump(mode="json") for g in result.gates]
    return {"run": result.run_id, "metrics": result.metrics, "gates": gates, "passed": result.passed}


class CompareP(_P):
    run_a: str = Field(description="The baseline evaluation run")
    run_b: str
    candidate_a: str | None = None
    candidate_b: str | None = None


def _compare(ctx: Any, p: CompareP) -> dict[str, Any]:
    comparison = ctx.client.evals.compare(p.run_a, p.run_b, candidate_a=p.candidate_a, candidate_b=p.candidate_b)
    metrics = {m.metric: m.model_dump(mode="json") for m in comparison.metrics} if comparison.metrics else {}
    return {"shared": comparison.shared, "metrics": metrics}


class GateP(_P):
    run: str = Field(description="A finished evaluation run")
    gates: list[str] = Field(min_length=1, description="rouge_l>=0.4, exact_match.ci_low>0.3, no_regression:RUN")


def _gate(ctx: Any, p: GateP) -> dict[str, Any]:
    results = ctx.client.evals.check_gates(p.run, p.gates)
    gates = [g.model_dump(mode="json") for g in results]
    ctx.outputs_on_failure = {"gates": gates, "passed": False}
    for g in results:
        ctx.log(f"gate {g.gate}: {'passed' if g.passed else 'FAILED'} ({g.message})")
    failed = [g.gate for g in results if not g.passed]
    if failed:
        raise GateFailed(f"gate(s) failed on run {p.run}: {', '.join(failed)}",
                         hint="the steps after this gate did not run; see the gate messages in the step log")
    return {"gates": gates, "passed": True}


# -- registry and deployment ----------------------------------------------------------------------------------


class PromoteP(_P):
    target: str = Field(description="model:NAME@N, prompt:NAME@N or dataset:NAME@N (untyped: a model)")
    alias: str = Field(description="The alias or label to move (champion, production, canary ...)")


def _promote(ctx: Any, p: PromoteP) -> dict[str, Any]:
    entity, sep, ref = p.target.partition(":")
    if not sep:
        entity, ref = "model", p.target
    if entity == "model":
        version = ctx.client.models.alias(ref, p.alias)
    elif entity == "prompt":
        version = ctx.client.prompts.label(ref, p.alias)
    elif entity == "dataset":
        version = ctx.client.datasets.label(ref, p.alias)
    else:
        raise InvalidInput(f"promote: cannot move a label of {entity!r}", hint="target model:, prompt: or dataset:")
    ctx.log(f"{entity} {version.name}@{p.alias} -> version {version.version}")
    return {"ref": f"{version.name}@{version.version}", entity: f"{version.name}@{version.version}"}


class DeployP(_P):
    deployment: str
    weights: dict[str, float] | None = Field(default=None, description="variant name -> weight (e.g. canary 0.1)")
    variants: list[dict[str, Any]] | None = Field(default=None, description="Replace the variants altogether")
    message: str = ""


def _deploy(ctx: Any, p: DeployP) -> dict[str, Any]:
    current = ctx.client.deployments.get(p.deployment)
    variants = p.variants if p.variants is not None else [v.model_dump(mode="json", exclude_none=True)
                                                             for v in current.variants]
    if p.weights:
        names = {v.get("name") for v in variants}
        unknown = set(p.weights) - names
        if unknown:
            raise InvalidInput(f"deployment {p.deployment!r} has no variant(s) {', '.join(sorted(unknown))}",
                               hint=f"its variants: {', '.join(sorted(str(n) for n in names))}")
        weights = p.weights
        variants = [{**v, "weight": weights.get(str(v.get("name")), v.get("weight"))} for v in variants]
    info = ctx.client.deployments.update(p.deployment, variants=variants,
                                         message=p.message or f"pipeline run {ctx.pipeline_run_id}")
    return {"deployment": f"{info.name}@{info.version}"}


class NotifyP(_P):
    url: str = Field(description="An http(s) URL that takes a JSON POST")
    message: str = ""
    payload: dict[str, Any] | None = Field(default=None, description="Extra JSON fields")
    format: Literal["json", "slack"] = "json"
    retries: int = Field(default=3, ge=0, le=10)


def _notify(ctx: Any, p: NotifyP) -> dict[str, Any]:
    import httpx

    if not p.url.startswith(("http://", "https://")):
        raise InvalidInput(f"notify: {p.url!r} is not an http(s) URL")
    from genloop.monitoring._alerts import refused_url  # the webhooks' rule: no link-local or metadata address

    refused = refused_url(p.url)
    if refused:
        raise InvalidInput(f"notify: {p.url!r} is {refused}", hint="send notifications to a receiver on your network")
    body: dict[str, Any] = ({"text": p.message} if p.format == "slack" else
                            {"pipeline": ctx.pipeline, "run": ctx.pipeline_run_id, "step": ctx.step,
                             "message": p.message, **(p.payload or {})})
    last: Exception | None = None
    for attempt in range(p.retries + 1):
        try:
            response = httpx.post(p.url, json=body, timeout=10.0)
            if response.status_code < 400:
                return {"status": response.status_code}
            last = InvalidInput(f"notify: {p.url} answered {response.status_code}")
            if response.status_code < 500 and response.status_code != 429:
                break
        except httpx.HTTPError as exc:
            last = exc
        ctx.log(f"notify attempt {attempt + 1} failed: {last}")
        if attempt < p.retries:
            time.sleep(min(0.2 * 2**attempt, 5.0))
    raise InvalidInput(f"notify: could not deliver to {p.url}: {last}", hint="check that the receiver is up")


def _governance_missing() -> str | None:
    import importlib.util

    if importlib.util.find_spec("genloop.governance") is None:
        return "genloop.governance (reviews) is not part of this build"
    return None


class ReviewP(_P):
    target: str = Field(description="model:NAME@N or prompt:NAME@N to review")
    alias: str = Field(default="production", description="The alias or label approval moves")


def _review(ctx: Any, p: ReviewP) -> dict[str, Any]:
    review = ctx.client.reviews.request(p.target, target=p.alias)
    ctx.log(f"review {review.id} of {review.subject} for {p.alias}: {review.status} "
            f"(evidence {'complete' if review.passed else 'incomplete'})")
    return {"review": review.id, "status": review.status, "passed": review.passed}


KINDS: tuple[StepKind, ...] = (
    StepKind("dataset", lambda c, p: _dataset(c, DatasetP(**p)), {"dataset": "dataset"}, DatasetP,
             {"dataset": "dataset"}, cacheable=False, description="Pin a dataset reference to its current version",
             produces=False),
    StepKind("dataset_import", lambda c, p: _import(c, ImportP(**p)), {"dataset": "dataset"}, ImportP,
             description="Import rows (or a local file) as a dataset version"),
    StepKind("feedback_export", lambda c, p: _feedback_export(c, FeedbackExportP(**p)),
             {"dataset": "dataset", "run": "run", "rows": "value"}, FeedbackExportP, cacheable=False,
             description="Export feedback (e.g. of the last 7 days) to an SFT or preference dataset version"),
    StepKind("clean", lambda c, p: _quality("clean")(c, CleanP(**p)),
             {"dataset": "dataset", "run": "run", "rows_in": "value", "rows_out": "value"}, CleanP,
             {"dataset": "dataset"}, description="Clean steps over every row"),
    StepKind("dedup", lambda c, p: _quality("dedup")(c, DedupP(**p)),
             {"dataset": "dataset", "run": "run", "rows_in": "value", "rows_out": "value"}, DedupP,
             {"dataset": "dataset"}, description="Remove exact, near or semantic duplicates"),
    StepKind("decontaminate", lambda c, p: _quality("decontaminate")(c, DecontaminateP(**p)),
             {"dataset": "dataset", "run": "run", "rows_in": "value", "rows_out": "value"}, DecontaminateP,
             {"dataset": "dataset", "eval_datasets": "dataset"}, description="Remove rows that leak eval sets"),
    StepKind("scrub", lambda c, p: _quality("scrub")(c, ScrubP(**p)),
             {"dataset": "dataset", "run": "run", "rows_in": "value", "rows_out": "value"}, ScrubP,
             {"dataset": "dataset"}, description="Redact PII"),
    StepKind("split", lambda c, p: _split(c, SplitP(**p)), {"train": "dataset", "test": "dataset"}, SplitP,
             {"dataset": "dataset"}, description="Split into train and test versions"),
    StepKind("tune", lambda c, p: _tune(c, TuneP(**p)), {"model": "model", "run": "run", "metrics": "value"},
             TuneP, {"spec.base": "model", "spec.train": "dataset", "spec.eval_dataset": "dataset"}, description="Run a tuning spec (SFT, LoRA, QLoRA, DPO)"),
    StepKind("quantize", lambda c, p: _quantize(c, QuantizeP(**p)), {"model": "model", "run": "run"}, QuantizeP,
             {"model": "model", "dataset": "dataset"}, description="Quantize a model version"),
    StepKind("eval", lambda c, p: _eval(c, EvalP(**p)),
             {"run": "run", "metrics": "value", "gates": "value", "passed": "value"}, EvalP,
             {"spec.dataset": "dataset", "spec.candidates.*.model": "model", "spec.candidates.*.prompt": "prompt"},
             description="Run an evaluation spec (gates recorded, not enforced: use a gate step)"),
    StepKind("compare", lambda c, p: _compare(c, CompareP(**p)), {"shared": "value", "metrics": "value"},
             CompareP, {"run_a": "run", "run_b": "run"}, description="Compare two evaluation runs"),
    StepKind("gate", lambda c, p: _gate(c, GateP(**p)), {"gates": "value", "passed": "value"}, GateP,
             {"run": "run"}, description="Check gates on an evaluation run; the pipeline stops when one fails"),
    StepKind("review_request", lambda c, p: _review(c, ReviewP(**p)),
             {"review": "value", "status": "value", "passed": "value"}, ReviewP, cacheable=False,
             description="Open a governance review of a version for an alias (approval moves it)",
             available=_governance_missing),
    StepKind("promote", lambda c, p: _promote(c, PromoteP(**p)),
             {"ref": "value", "model": "model", "prompt": "prompt", "dataset": "dataset"}, PromoteP,
             cacheable=False, description="Move an alias or label", produces=False),
    StepKind("deploy", lambda c, p: _deploy(c, DeployP(**p)), {"deployment": "deployment"}, DeployP,
             cacheable=False, description="Update a deployment (e.g. canary weights)"),
    StepKind("notify", lambda c, p: _notify(c, NotifyP(**p)), {"status": "value"}, NotifyP, cacheable=False,
             description="POST a JSON (or Slack) message to a webhook"),
)


@hookimpl
def register_pipeline_steps(register: Any) -> None:
    for kind in KINDS:
        register(kind)
