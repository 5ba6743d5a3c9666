"""The work on one example: each candidate's answer (per repeat), its metrics and pointwise judgments, then
the pairwise verdicts between candidates. Finished items are skipped, so a resumed run calls nothing twice."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

from genloop.errors import GenLoopError, InvalidInput
from genloop.evals._calls import CallOutcome, CostCapReached, ModelCaller
from genloop.evals._metrics import score_metric
from genloop.evals._plan import Candidate, Example
from genloop.evals._writer import BatchWriter

__all__ = ["ExampleWork"]

_CALL_FIELDS = ("latency_s", "input_tokens", "output_tokens", "cost", "spent", "cached")


class ExampleWork:
    """Processes examples for one session; errors become items in error, never a crash of the run."""

    def __init__(self, session: Any, caller: ModelCaller, writer: BatchWriter, done_items: list[dict[str, Any]],
                 done_pairs: list[dict[str, Any]]) -> None:
        self.session = session
        self.plan = session.plan
        self.caller = caller
        self.writer = writer
        self.outputs: dict[tuple[str, str, int], str | None] = {
            (d["example_id"], d["candidate"], d["repeat"]): d["output"] for d in done_items}
        self.done_pairs = {(d["judge"], d["example_id"], d["candidate_a"], d["candidate_b"], d["repeat"])
                           for d in done_pairs}

    async def run(self, example: Example) -> None:
        spec = self.plan.spec
        jobs = [self._item(example, c, r) for c in self.plan.candidates for r in range(spec.repeats)
                if (example.id, c.name, r) not in self.outputs]
        await asyncio.gather(*jobs)
        if self.session.stop_reason is not None:
            return
        pair_jobs = []
        for judge, pairs in self.plan.pairwise:
            for a, b in pairs:
                for r in range(spec.repeats):
                    if (judge.name, example.id, a, b, r) not in self.done_pairs:
                        pair_jobs.append(self._pair(example, judge, a, b, r))
        await asyncio.gather(*pair_jobs)

    def _base_variables(self, example: Example) -> dict[str, Any]:
        reference = example.reference
        return {**example.row, "input": self.plan.judge_input(example),
                "reference": "" if reference is None else str(reference)}

    async def _item(self, example: Example, candidate: Candidate, repeat: int) -> None:
        item: dict[str, Any] = {
            "example_id": example.id, "example_index": example.index, "candidate": candidate.name, "repeat": repeat,
            "inputs": self.plan.inputs_of(example), "reference": example.reference, "output": None,
            "scores": {}, "judgments": {},
            "status": "ok", "error": None, "latency_s": None, "input_tokens": 0, "output_tokens": 0, "cost": None,
            "spent": 0.0, "cached": False}
        extra: dict[str, Any] = {}  # what a callable candidate returned beside its answer (contexts, tool_calls)
        try:
            output = await self._answer(example, candidate, repeat, item, extra)
            item["output"] = output
            item["inputs"] = {**item["inputs"], **extra}
            self._metrics(example, candidate, output, item, extra)
            variables = {**self._base_variables(example), **extra, "output": output}
            judgments = await asyncio.gather(*(j.evaluate(self.caller, variables, repeat)
                                             for j in self.plan.pointwise))
            for judge, judgment in zip(self.plan.pointwise, judgments, strict=True):
                item["judgments"][judge.name] = judgment
                item["scores"][judge.name] = judgment["score"]
                if judgment["cost"]:
                    item["cost"] = (item["cost"] or 0.0) + judgment["cost"]
                item["spent"] += judgment["spent"]
            self.session.note_success()
        except CostCapReached:
            self.session.stop_reason = self.session.stop_reason or "cost_cap"
            return
        except GenLoopError as exc:
            item["status"], item["error"] = "error", str(exc)
            self.session.note_error(str(exc))
        if item["status"] == "ok":
            self.outputs[(example.id, candidate.name, repeat)] = item.get("output")
        self.writer.add_item(item)
        self.session.advance()

    async def _answer(self, example: Example, candidate: Candidate, repeat: int, item: dict[str, Any],
                      extra: dict[str, Any]) -> str:
        if candidate.spec.output_column is not None:
            value = example.row.get(candidate.spec.output_column)
            return "" if value is None else str(value)
        if candidate.function is not None:
            return await self._call_function(example, candidate, item, extra)
        assert candidate.target is not None
        messages = candidate.messages(example.row, self.plan.spec.input_column)
        # the provider's own latency (its retries included), not the time this call queued behind the run's others
        outcome: CallOutcome = await self.caller.call(candidate.target, messages, candidate.params, variant=repeat)
        item.update(latency_s=outcome.latency_s,
                    input_tokens=outcome.input_tokens, output_tokens=outcome.output_tokens, cost=outcome.cost,
                    cached=outcome.cached, spent=0.0 if outcome.cached else (outcome.cost or 0.0))
        return outcome.text

    async def _call_function(self, example: Example, candidate: Candidate, item: dict[str, Any],
                             extra: dict[str, Any]) -> str:
        """A callable candidate, with a copy of the row (an async function awaited, a plain one in a thread)."""
        function = candidate.function
        started = time.perf_counter()
        try:
            if inspect.iscoroutinefunction(function):
                value = await function(dict(example.row))
            else:
                value = await asyncio.to_thread(function, dict(example.row))
        except Exception as exc:  # the app's failure is this item's error, not the run's
            raise InvalidInput(f"candidate {candidate.name!r}: {candidate.spec.callable} raised "
                               f"{type(exc).__name__}: {str(exc)[:500]}") from exc
        item["latency_s"] = time.perf_counter() - started
        if isinstance(value, dict):
            if "output" not in value:
                raise InvalidInput(f"candidate {candidate.name!r}: {candidate.spec.callable} returned a dict "
                                   "without 'output'", hint="return the answer text, or {'output': ..., ...}")
            extra.update({k: v for k, v in value.items() if k != "output" and k not in _CALL_FIELDS})
            value = value["output"]
        return "" if value is None else str(value)

    def _metrics(self, example: Example, candidate: Candidate, output: str, item: dict[str, Any],
                 extra: dict[str, Any] | None = None) -> None:
        recorded = {**(extra or {}), **item}
        if candidate.spec.output_column is not None:
            # nothing was called: latency, tokens and cost are the row's (a log of them), or unknown, never 0
            for key in _CALL_FIELDS:
                recorded.pop(key, None)
        context = {**example.row, **recorded}  # the row, then what this answer recorded: latency_s, tokens, cost
        notes: dict[str, Any] = {}
        for name, metric in self.plan.metrics:
            try:
                item["scores"][name], notes[name] = score_metric(metric, output, example.reference, context)
            except Exception as exc:  # noqa: BLE001 - one metric's failure is recorded on the item, not fatal
                item["scores"][name] = None
                notes[name] = {"error": f"{type(exc).__name__}: {exc}"}
        notes = {k: v for k, v in notes.items() if v}
        if notes:
            item["judgments"]["_metrics"] = notes

    async def _pair(self, example: Example, judge: Any, a: str, b: str, repeat: int) -> None:
        out_a = self.outputs.get((example.id, a, repeat))
        out_b = self.outputs.get((example.id, b, repeat))
        if out_a is None or out_b is None:
            return  # an answer failed: the pair stays undone and is retried with it
        pair: dict[str, Any] = {"judge": judge.name, "example_id": example.id, "example_index": example.index,
                                "candidate_a": a, "candidate_b": b, "repeat": repeat, "winner": None,
                                "consistent": None, "orders": [], "error": None, "cost": None, "spent": 0.0}
        try:
            verdict = await judge.compare(self.caller, self._base_variables(example), out_a, out_b, repeat)
            pair.update(status=verdict["status"], winner=verdict["winner"], consistent=verdict["consistent"],
                        orders=verdict["orders"], cost=verdict["cost"], spent=verdict["spent"])
            self.session.note_success()
        except CostCapReached:
            self.session.stop_reason = self.session.stop_reason or "cost_cap"
            return
        except GenLoopError as exc:
            pair.update(status="error", error=str(exc))
            self.session.note_error(str(exc))
        self.writer.add_pair(pair)
        self.session.advance()
