"""The optimization loop: split, score the original, propose and score candidates, then one held-out test.

Every candidate is a prompt version (its commit message says how it was made) scored on the optimization split
by an ordinary evaluation run (intervals included). The best candidate is then evaluated **once** on the
held-out split beside the original, in one evaluation run, and compared item by item with the paired test of
``eval compare``: the result says plainly whether the gain is significant there. Nothing is labelled.

The optimization is a run of kind ``optimize`` (inputs: the prompt and dataset versions; outputs: the candidate
versions). Its state (the candidates so far, calls and cost spent) is logged in its params after every
candidate, so an interrupted optimization of the same spec resumes where it stopped; evaluation calls already
made come from the evaluation cache.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field

from genloop.errors import InvalidInput
from genloop.optimize._spec import OptimizeSpec
from genloop.optimize._strategies import Candidate, get_strategy

__all__ = ["CandidateScore", "HeldOutResult", "OptimizeResult", "PromptOptimizer"]

Progress = Callable[[str, dict[str, Any]], None]


class CandidateScore(BaseModel):
    ref: str
    how: str
    round: int
    score: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    eval_run: str | None = None


class HeldOutResult(BaseModel):
    """The one held-out test of the best candidate against the original (paired, same items)."""

    eval_run: str
    metric: str
    n: int
    original: float | None
    best: float | None
    delta: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    test: str = ""
    significant: bool = False
    verdict: str = Field(description="One plain sentence: is the gain significant on data it was not tuned on")


class OptimizeResult(BaseModel):
    run_id: str
    status: str
    strategy: str
    metric: str
    original: CandidateScore
    best: CandidateScore | None
    candidates: list[CandidateScore] = Field(default_factory=list)
    held_out: HeldOutResult | None = None
    calls: int = 0
    cost: float = 0.0
    discarded: int = Field(default=0, description="Proposals that could not be read or dropped a variable")
    stopped_by: str | None = Field(default=None, description="max_calls | max_cost | max_seconds, or None")


class PromptOptimizer:
    """Optimizes a prompt with a :class:`genloop.Client` (in-process or remote: the same calls)."""

    def __init__(self, client: Any, progress: Progress | None = None) -> None:
        self.client = client
        self.progress = progress or (lambda event, data: None)

    # -- the loop --------------------------------------------------------------------------------------

    def run(self, spec: OptimizeSpec | dict[str, Any] | str, *, resume: bool = True) -> OptimizeResult:
        spec = OptimizeSpec.load(spec)
        original = self.client.prompts.get(spec.prompt)  # NotFound names it, before any call
        if original.messages is None:
            raise InvalidInput(f"prompt {original.ref} is a text template; optimization works on chat prompts",
                               hint="create a chat version (messages:) of it first")
        self._check_models(spec)
        split = self.client.datasets.split(spec.dataset, test_size=spec.holdout, seed=spec.seed,
                                           train_name=f"{spec.dataset.split('@')[0]}-opt",
                                           test_name=f"{spec.dataset.split('@')[0]}-holdout",
                                           message=f"prompt optimization of {original.ref}")
        opt_ref, holdout_ref = split.train.ref, split.test.ref
        run, state = self._start_or_resume(spec, original.ref, opt_ref, holdout_ref, resume)
        rows = self._rows(opt_ref, spec)
        started, rng = time.monotonic() - state["seconds"], random.Random(f"{spec.seed}:{run.id}")
        strategy = get_strategy(spec.strategy, spec, original.variables, rng)
        pool = [self._candidate(c) for c in state["candidates"]]
        if not pool:
            pool.append(self._score(spec, opt_ref, original.ref, _messages(original), "the original", 0, state))
            self._save(run.id, state, pool, started)
        stopped_by = None
        first_round = max(c.round for c in pool) + 1
        for round_no in range(first_round, spec.rounds + 1):
            stopped_by = self._over_budget(spec, state, started)
            if stopped_by:
                break
            proposals = asyncio.run(strategy.propose(pool, rows, spec.candidates_per_round,
                                                     self._asker(spec, state), self._render))
            state["discarded"] += strategy.discarded
            strategy.discarded = 0
            for proposal in proposals:
                stopped_by = self._over_budget(spec, state, started)
                if stopped_by:
                    break
                version = self.client.prompts.create(
                    original.name, messages=proposal.messages, model=original.model, params=original.params or None,
                    message=f"optimization {run.id[:12]} round {round_no}: {proposal.how}"[:1000])
                if any(c.ref == version.ref for c in pool):
                    continue  # the same content as a candidate already scored
                self.client.runs.add_output(run.id, f"prompt:{version.ref}")
                pool.append(self._score(spec, opt_ref, version.ref, proposal.messages, proposal.how, round_no, state))
                self._save(run.id, state, pool, started)
                self.progress("candidate", {"round": round_no, "ref": version.ref, "score": pool[-1].score})
            if stopped_by:
                break
        held_out = None
        challengers = [c for c in pool[1:] if c.score is not None]
        best = max(challengers, key=lambda c: c.score) if challengers else None  # type: ignore[arg-type,return-value]
        if best is not None:
            held_out = self._held_out(spec, holdout_ref, pool[0], best, state)
        self._save(run.id, state, pool, started)
        result = OptimizeResult(
            run_id=run.id, status="succeeded", strategy=spec.strategy, metric=spec.metric,
            original=_public(pool[0]), best=_public(best) if best else None,
            candidates=[_public(c) for c in pool[1:]], held_out=held_out, calls=state["calls"],
            cost=round(state["cost"], 6), discarded=state["discarded"], stopped_by=stopped_by)
        self.client.runs.log_metrics(run.id, {k: v for k, v in {
            "original": pool[0].score, "best": best.score if best else None,
            "held_out_delta": held_out.delta if held_out else None,
            "held_out_p": held_out.p_value if held_out else None, "calls": float(state["calls"]),
            "cost": state["cost"]}.items() if v is not None})
        self.client.runs.finish(run.id, "succeeded", summary=result.model_dump(mode="json"))
        return result

    # -- steps -----------------------------------------------------------------------------------------

    def _check_models(self, spec: OptimizeSpec) -> None:
        for ref in filter(None, [spec.model, spec.optimizer_model]):
            if ":" not in ref:
                self.client.models.resolve(ref)  # NotFound names it before any call

    def _start_or_resume(self, spec: OptimizeSpec, prompt_ref: str, opt_ref: str, holdout_ref: str,
                         resume: bool) -> tuple[Any, dict[str, Any]]:
        if resume:
            for info in self.client.runs.list(kind="optimize", status="running", limit=50).items:
                run = self.client.runs.get(info.id)
                if run.params.get("spec_hash") == spec.spec_hash and "state" in run.params:
                    self.progress("resume", {"run": run.id, "candidates": len(run.params["state"]["candidates"])})
                    return run, run.params["state"]
        run = self.client.runs.start("optimize", name=spec.name or f"optimize {prompt_ref}",
                                     params={"spec": spec.model_dump(mode="json"), "spec_hash": spec.spec_hash},
                                     inputs=[f"prompt:{prompt_ref}", f"dataset:{opt_ref}", f"dataset:{holdout_ref}"])
        return run, {"candidates": [], "calls": 0, "cost": 0.0, "seconds": 0.0, "discarded": 0}

    def _save(self, run_id: str, state: dict[str, Any], pool: list[Candidate], started: float) -> None:
        keep = 50  # examples kept per candidate for the next proposals (bounds the run's params)
        state["candidates"] = [{**asdict(c), "failures": c.failures[:keep], "correct": c.correct[:keep]} for c in pool]
        state["seconds"] = time.monotonic() - started
        self.client.runs.log_params(run_id, {"state": state})

    def _rows(self, dataset: str, spec: OptimizeSpec) -> list[dict[str, Any]]:
        reference = spec.eval.get("reference_column", "reference")
        rows = [dict(r) for r in self.client.datasets.iter_rows(dataset)]
        for row in rows:
            row["__reference__"] = row.get(reference)
        return rows

    def _eval_spec(self, spec: OptimizeSpec, dataset: str, candidates: list[dict[str, Any]], name: str
                   ) -> dict[str, Any]:
        return {**spec.eval, "name": name, "dataset": dataset, "seed": spec.seed, "candidates": candidates}

    def _score(self, spec: OptimizeSpec, dataset: str, ref: str, messages: list[dict[str, str]], how: str,
               round_no: int, state: dict[str, Any]) -> Candidate:
        """Evaluate one prompt version on the optimization split; its failures feed the next proposals."""
        result = self.client.evals.run(self._eval_spec(
            spec, dataset, [{"name": "candidate", "prompt": ref, "model": spec.model}], "optimize-candidate"))
        if result.status != "succeeded":
            raise InvalidInput(f"evaluating {ref} failed: {result.error or result.reason}",
                               hint="run the same spec with genloop eval run to see why")
        aggregate = (result.aggregates.get("candidate") or {}).get(spec.metric)
        if aggregate is None:
            known = sorted(result.aggregates.get("candidate") or {})
            raise InvalidInput(f"the evaluation has no metric {spec.metric!r}", hint=f"choose one of: {', '.join(known)}")
        state["calls"] += result.planned_items + sum(int(j.get("calls", 0)) for j in result.judges.values())
        state["cost"] += result.spent
        candidate = Candidate(ref=ref, messages=messages, how=how, score=aggregate.value, ci_low=aggregate.ci_low,
                              ci_high=aggregate.ci_high, eval_run=result.run_id, round=round_no)
        top = 1.0
        items = self._items(result.run_id)
        scored = [i.scores.get(spec.metric) for i in items if i.scores.get(spec.metric) is not None]
        top = max(scored) if scored else top
        for item in items:
            value = item.scores.get(spec.metric)
            if value is None:
                continue
            candidate.per_example[item.example_id] = value
            seen = {"inputs": item.inputs, "output": item.output, "reference": item.reference, "score": value,
                    "feedback": "; ".join(str(j.get("explanation") or "") for j in item.judgments.values())}
            (candidate.correct if value >= top else candidate.failures).append(seen)
        return candidate

    def _items(self, run_id: str) -> list[Any]:
        items, offset = [], 0
        while True:
            page = self.client.evals.items(run_id, offset, 500)
            items.extend(page.items)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return items

    def _held_out(self, spec: OptimizeSpec, dataset: str, original: Candidate, best: Candidate,
                  state: dict[str, Any]) -> HeldOutResult:
        result = self.client.evals.run(self._eval_spec(spec, dataset, [
            {"name": "original", "prompt": original.ref, "model": spec.model},
            {"name": "best", "prompt": best.ref, "model": spec.model}], "optimize-held-out"))
        state["calls"] += result.planned_items
        state["cost"] += result.spent
        comparison = self.client.evals.compare(result.run_id, result.run_id, candidate_a="original",
                                               candidate_b="best")
        row = next((m for m in comparison.metrics if m.metric == spec.metric), None)
        if row is None:
            raise InvalidInput(f"the held-out comparison has no metric {spec.metric!r}")
        if row.delta is None:
            verdict = f"{spec.metric} could not be compared on the held-out split"
        elif row.significant and (row.delta > 0) == (row.higher_is_better is not False):
            verdict = (f"{best.ref} is significantly better than {original.ref} on the {row.n} held-out items: "
                       f"{spec.metric} {row.mean_a:.4g} -> {row.mean_b:.4g} (delta {row.delta:+.4g}, "
                       f"95% CI [{row.ci_low:.4g}, {row.ci_high:.4g}], {row.test} p = {row.p_value:.2g})")
        elif row.significant:
            verdict = (f"{best.ref} is significantly worse than {original.ref} on the {row.n} held-out items "
                       f"(delta {row.delta:+.4g}, p = {row.p_value:.2g}): keep the original")
        else:
            verdict = (f"not significant: {best.ref} vs {original.ref} on the {row.n} held-out items, "
                       f"delta {row.delta:+.4g} (p = {row.p_value if row.p_value is not None else float('nan'):.2g}); "
                       "the gain seen while optimizing may be noise or overfitting")
        return HeldOutResult(eval_run=result.run_id, metric=spec.metric, n=row.n, original=row.mean_a, best=row.mean_b,
                             delta=row.delta, ci_low=row.ci_low, ci_high=row.ci_high, p_value=row.p_value,
                             test=row.test, significant=row.significant, verdict=verdict)

    def _asker(self, spec: OptimizeSpec, state: dict[str, Any]) -> Any:
        from genloop.evals._executors import LocalExecutor
        from genloop.evals._plan import resolve_target

        target = resolve_target(self.client.models, spec.optimizer_model) if spec.optimizer_model else None

        async def ask(messages: list[dict[str, str]]) -> str:
            if target is None:
                raise InvalidInput(f"strategy {spec.strategy!r} needs an optimizer_model")
            executor = LocalExecutor(self.client.settings, concurrency=1)
            try:
                reply = await executor.chat(target, messages, dict(target.params), {})
            finally:
                await executor.aclose()
            state["calls"] += 1
            state["cost"] += reply.get("cost") or 0.0
            return str(reply.get("text") or "")

        return ask

    def _render(self, ref: str, variables: dict[str, Any]) -> list[dict[str, str]]:
        rendered = self.client.prompts.render(ref, {k: v for k, v in variables.items() if not k.startswith("__")})
        return [{"role": m.role, "content": m.content} for m in rendered.messages or []]

    @staticmethod
    def _over_budget(spec: OptimizeSpec, state: dict[str, Any], started: float) -> str | None:
        budget = spec.budget
        if budget.max_calls is not None and state["calls"] >= budget.max_calls:
            return "max_calls"
        if budget.max_cost is not None and state["cost"] >= budget.max_cost:
            return "max_cost"
        if budget.max_seconds is not None and time.monotonic() - started >= budget.max_seconds:
            return "max_seconds"
        return None

    @staticmethod
    def _candidate(data: dict[str, Any]) -> Candidate:
        return Candidate(**data)


def _messages(version: Any) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in version.messages or []]


def _public(candidate: Candidate) -> CandidateScore:
    return CandidateScore(ref=candidate.ref, how=candidate.how, round=candidate.round, score=candidate.score,
                          ci_low=candidate.ci_low, ci_high=candidate.ci_high, eval_run=candidate.eval_run)
