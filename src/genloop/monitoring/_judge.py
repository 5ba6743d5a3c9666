"""The judge of an online evaluator: the evaluation engine's pointwise rubric judge, reference-free."""

from __future__ import annotations

import asyncio
from typing import Any

from genloop.monitoring._schemas import EvaluatorSpec
from genloop.store import Store

__all__ = ["judge_spec", "judge_traces"]


def judge_spec(spec: EvaluatorSpec) -> Any:
    """The evaluation engine's ``JudgeSpec`` of an evaluator's judge (:class:`InvalidInput` when it refuses it)."""
    from pydantic import ValidationError

    from genloop.errors import InvalidInput
    from genloop.evals._spec import JudgeSpec

    config = spec.judge
    assert config is not None
    extra: dict[str, Any] = {k: v for k, v in (("rubric", config.rubric), ("anchors", config.anchors))
                             if v is not None}
    try:
        return JudgeSpec.model_validate({"name": "online", "model": config.model, "prompt": config.prompt,
                                         "scale": config.scale, "params": config.params, **extra})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"invalid judge: {'.'.join(map(str, first.get('loc', ())))}: {first.get('msg')}",
                           hint="scale is (low, high) with low < high; model is provider:model or NAME@ref") from None


async def judge_traces(store: Store, project: str, spec: EvaluatorSpec, traces: list[dict[str, Any]],
                       providers: dict[str, Any] | None, budget_usd: float | None = None,
                       ) -> tuple[list[dict[str, Any] | None], int | None, str | None]:
    """Judge each trace (at most ``spec.concurrency`` calls at once; no call starts once ``budget_usd`` is
    spent). Returns the scores in order up to the first trace whose call failed or found the budget spent,
    that trace's index (None when none did) and the error."""
    from genloop.evals._calls import CostMeter, ModelCaller
    from genloop.evals._executors import LocalExecutor
    from genloop.evals._judges import PointwiseJudge, ensure_judge_prompt
    from genloop.evals._plan import resolve_target
    from genloop.models import ModelService
    from genloop.prompts import PromptService

    jspec = judge_spec(spec)
    config = spec.judge
    assert config is not None
    target = await asyncio.to_thread(resolve_target, ModelService(store, project), config.model)
    prompt = await asyncio.to_thread(ensure_judge_prompt, PromptService(store, project), jspec)
    judge = PointwiseJudge(jspec, target, prompt)
    executor = LocalExecutor(store.settings, concurrency=spec.concurrency, providers=providers)
    caller = ModelCaller(executor, concurrency=spec.concurrency, meter=CostMeter(budget_usd),
                         cache_lookup=lambda keys: {}, on_reply=lambda *args: None)

    async def one(trace: dict[str, Any]) -> dict[str, Any] | None:
        if trace["output"] is None:
            return None
        judgment = await judge.evaluate(caller, {"input": trace["input"], "output": trace["output"]})
        if judgment["score"] is None:
            return None
        return {"trace_id": trace["trace_id"], "value": judgment["score"], "cost": judgment.get("spent") or 0.0,
                "metadata": {"evaluator": spec.name, "deployment": trace["deployment"], "variant": trace["variant"],
                             "judge": target.label, "prompt": prompt.ref, "explanation": judgment["explanation"]}}

    try:
        await executor.start()
        outcomes = await asyncio.gather(*(one(t) for t in traces), return_exceptions=True)
    finally:
        await executor.aclose()
    scores: list[dict[str, Any] | None] = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, Exception):
                raise outcome
            return scores, index, f"{type(outcome).__name__}: {outcome}"[:2000]
        scores.append(outcome)
    return scores, None, None
