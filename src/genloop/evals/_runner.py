"""The evaluation engine: plan, run every (example, candidate, repeat) and pairwise verdict, resume, finish.

One :class:`EvalEngine` serves in-process runs and client-side runs against a server alike: it talks to the
domain services (datasets, prompts, models; local or their REST twins) and to an eval backend (local store
or REST). The run ends ``succeeded``, ``failed`` (bad spec, failing provider, items in error) or
``cancelled`` (cost cap, Ctrl-C); the summary's ``reason`` says which, and every finished item is kept.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from genloop.errors import Conflict, GenLoopError, Hint
from genloop.evals._aggregate import summarize
from genloop.evals._calls import CostCapReached, CostMeter, ModelCaller
from genloop.evals._executors import Executor, get_executor
from genloop.evals._gates import check_gates, parse_gate
from genloop.evals._plan import Example, Plan, build_plan, check_providers
from genloop.evals._results import result_from_info
from genloop.evals._schemas import EvalResult
from genloop.evals._spec import EvalSpec, canonical_hash
from genloop.evals._work import ExampleWork
from genloop.evals._writer import BatchWriter
from genloop.settings import Settings

__all__ = ["EvalEngine", "Progress"]

Progress = Callable[[int, int], None]


class EvalEngine:
    """Runs specs against ``backend`` with the given domain services; ``progress(done, total)`` is optional."""

    def __init__(self, *, backend: Any, datasets: Any, prompts: Any, models: Any, settings: Settings | None = None,
                 providers: dict[str, Any] | None = None, executor: Executor | None = None,
                 progress: Progress | None = None, executor_options: dict[str, Any] | None = None,
                 compare: Callable[..., Any] | None = None) -> None:
        self.backend = backend
        self.datasets, self.prompts, self.models = datasets, prompts, models
        self.settings = settings or Settings()
        self.providers = providers
        self.executor = executor
        self.executor_options = executor_options or {}
        self.progress = progress
        self.compare = compare
        self.stats: dict[str, int] = {}

    def run(self, spec: EvalSpec | dict[str, Any] | str, *, resume: str | bool = True,
            gates: list[str] | None = None) -> EvalResult:
        """Run ``spec`` to the end and return the result (blocking; safe to call from inside an event loop)."""
        try:
            asyncio.get_running_loop()
            in_loop = True
        except RuntimeError:
            in_loop = False
        if not in_loop:
            return asyncio.run(self.arun(spec, resume=resume, gates=gates))
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["result"] = asyncio.run(self.arun(spec, resume=resume, gates=gates))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
                box["error"] = exc

        thread = threading.Thread(target=target, name="genloop-eval")
        thread.start()
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["result"]  # type: ignore[no-any-return]

    async def arun(self, spec: EvalSpec | dict[str, Any] | str, *, resume: str | bool = True,
                   gates: list[str] | None = None) -> EvalResult:
        """Run ``spec``; ``resume`` is a run id, True (latest unfinished run of the same spec hash) or False.
        ``gates`` (default the spec's) are checked before the run is closed and recorded in its summary."""
        spec = EvalSpec.load(spec)
        gates = list(spec.gates if gates is None else gates)
        for gate in gates:
            if not gate.strip().startswith("no_regression:"):
                parse_gate(gate)
        try:
            plan = await asyncio.to_thread(build_plan, spec, datasets=self.datasets, prompts=self.prompts,
                                           models=self.models)
            check_providers(plan, self.providers)  # a typo fails here, not on every item
        except GenLoopError as exc:
            await asyncio.to_thread(self._record_invalid, spec, exc)
            raise
        previous = await asyncio.to_thread(self._previous, plan, resume)
        run_id = await asyncio.to_thread(
            self.backend.start_run, name=spec.name, spec=spec.model_dump(mode="json"), spec_hash=plan.spec_hash,
            params={"dataset": plan.dataset_ref, "candidates": [c.name for c in plan.candidates],
                    "executor": spec.executor, "concurrency": spec.concurrency, "max_cost": spec.max_cost,
                    "resumed_from": previous},
            inputs=plan.inputs, planned_items=plan.planned_items, planned_pairs=plan.planned_pairs)
        spent = await asyncio.to_thread(self.backend.continue_from, previous, run_id) if previous else 0.0
        session = _Session(self, plan, run_id, spent)
        outcome = await session.execute()
        result = await asyncio.to_thread(self._finish, plan, run_id, previous, outcome, gates)
        if session.crash is not None:
            raise session.crash
        return result

    def _record_invalid(self, spec: EvalSpec, exc: GenLoopError) -> None:
        run_id = self.backend.start_run(name=spec.name, spec=spec.model_dump(mode="json"),
                                        spec_hash=canonical_hash(spec.semantic()), params={"invalid": True},
                                        inputs=[], planned_items=0, planned_pairs=0)
        self.backend.finish(run_id, status="failed", error=str(exc), metrics={},
                            summary={"reason": "invalid_spec", "error_type": exc.type})
        exc.details.setdefault("run_id", run_id)

    def _previous(self, plan: Plan, resume: str | bool) -> str | None:
        if isinstance(resume, str):
            info = self.backend.run_info(resume)
            if info["spec_hash"] != plan.spec_hash:
                raise Conflict(f"run {resume} was made from a different spec or other versions than this one",
                               hint=Hint(cli="run without --resume to start a new evaluation",
                                         sdk="run without resume= to start a new evaluation",
                                         rest='send no "resume" to start a new evaluation'))
            if info["run"]["status"] == "succeeded":
                raise Conflict(f"run {resume} already succeeded; there is nothing to resume",
                               hint=Hint(cli="run without --resume to evaluate again (the call cache makes it cheap)",
                                         sdk="run without resume= to evaluate again (the call cache makes it cheap)",
                                         rest='send no "resume" to evaluate again (the call cache makes it cheap)'))
            return resume
        return self.backend.find_resumable(plan.spec_hash) if resume else None

    def _finish(self, plan: Plan, run_id: str, previous: str | None, outcome: dict[str, Any],
                gates: list[str]) -> EvalResult:
        items = self.backend.all_items(run_id)
        pairs = self.backend.all_pairs(run_id)
        metrics, summary = summarize(plan, items, pairs)
        summary.update({"reason": outcome["reason"], "resumed_from": previous, "executor": plan.spec.executor,
                        "upstream_calls": outcome["upstream_calls"], "cache_hits": outcome["cache_hits"],
                        "spent": outcome["spent"]})
        status, error = outcome["status"], outcome["error"]
        if status == "succeeded" and summary["counts"]["error_items"] + summary["counts"]["error_pairs"]:
            status, summary["reason"] = "failed", "item_errors"
            error = (f"{summary['counts']['error_items']} items and {summary['counts']['error_pairs']} pairwise "
                     f"verdicts failed (first: {outcome['first_error']}); run the spec again to retry them")
        if gates:
            info = self.backend.run_info(run_id)
            info["run"].update(metrics=metrics, summary=summary)
            checked = check_gates(result_from_info(info), gates, compare=self.compare)
            summary["gates"] = [g.model_dump() for g in checked]
        self.backend.finish(run_id, status=status, error=error, metrics=metrics, summary=summary)
        self.stats = {"upstream_calls": outcome["upstream_calls"], "cache_hits": outcome["cache_hits"]}
        return result_from_info(self.backend.run_info(run_id))


class _Session:
    """One execution of a plan in one run: workers over examples, the writer, the stop switch."""

    def __init__(self, engine: EvalEngine, plan: Plan, run_id: str, spent: float) -> None:
        self.engine, self.plan, self.run_id = engine, plan, run_id
        self.meter = CostMeter(plan.spec.max_cost, spent)
        self.stop_reason: str | None = None
        self.stop_error: str | None = None
        self.first_error: str | None = None
        self.crash: Exception | None = None
        self.errors_in_a_row = 0
        self.done = 0
        self.total = plan.planned_items + plan.planned_pairs

    def note_error(self, message: str) -> None:
        self.first_error = self.first_error or message
        self.errors_in_a_row += 1
        if self.errors_in_a_row >= max(20, 2 * self.plan.spec.concurrency) and self.stop_reason is None:
            self.stop_reason = "provider_error"
            self.stop_error = f"{self.errors_in_a_row} model calls failed in a row; stopped (last: {message})"

    def note_success(self) -> None:
        self.errors_in_a_row = 0

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.engine.progress is not None:
            self.engine.progress(self.done, self.total)

    async def execute(self) -> dict[str, Any]:
        engine, spec = self.engine, self.plan.spec
        done_items = await asyncio.to_thread(engine.backend.done_items, self.run_id)
        done_pairs = await asyncio.to_thread(engine.backend.done_pairs, self.run_id)
        self.advance(len(done_items) + len(done_pairs))
        executor = engine.executor or get_executor(spec.executor, engine.settings, concurrency=spec.concurrency,
                                                   providers=engine.providers, **engine.executor_options)
        writer = BatchWriter(engine.backend, self.run_id)
        caller = ModelCaller(executor, concurrency=spec.concurrency, meter=self.meter,
                             cache_lookup=engine.backend.cache_get, on_reply=writer.add_cache)
        work = ExampleWork(self, caller, writer, done_items, done_pairs)
        queue: list[Example] = list(reversed(self.plan.examples))
        status, error = "succeeded", None

        async def worker() -> None:
            while queue and self.stop_reason is None:
                await work.run(queue.pop())

        writer.start()
        try:
            await executor.start()
            workers = [asyncio.create_task(worker()) for _ in range(min(spec.concurrency, len(queue)) or 1)]
            try:
                await asyncio.gather(*workers)
            except BaseException:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                raise
        except asyncio.CancelledError:
            self.stop_reason, self.stop_error = "interrupted", "interrupted (Ctrl-C or cancelled); run again to resume"
        except CostCapReached:
            self.stop_reason = "cost_cap"
        except GenLoopError as exc:
            status, error, self.stop_reason = "failed", str(exc), "error"
        except Exception as exc:  # noqa: BLE001 - recorded on the run, then re-raised by the engine
            status, error, self.stop_reason = "failed", f"{type(exc).__name__}: {exc}", "error"
            self.crash = exc
        finally:
            await self._close(writer, executor)
        if self.stop_reason == "cost_cap":
            status = "cancelled"
            error = (f"cost cap ${spec.max_cost:g} reached (spent ${self.meter.spent:.4f}); finished items are kept; "
                     "raise max_cost and run again to resume")
        elif self.stop_reason == "interrupted":
            status, error = "cancelled", self.stop_error
        elif self.stop_reason == "provider_error":
            status, error = "failed", self.stop_error
        return {"status": status, "reason": self.stop_reason or "completed", "error": error,
                "first_error": self.first_error, "upstream_calls": caller.upstream_calls,
                "cache_hits": caller.cache_hits, "spent": self.meter.spent}

    async def _close(self, writer: BatchWriter, executor: Executor) -> None:
        try:
            await asyncio.shield(writer.close())
        except asyncio.CancelledError:
            writer.flush_sync()
        try:
            await asyncio.shield(executor.aclose())
        except asyncio.CancelledError:
            pass
