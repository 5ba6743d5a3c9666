"""Bad input and failing upstreams end with a clear message, the finished items kept, and a status that says
what happened; interrupted and capped runs resume without calling anything twice."""

from __future__ import annotations

from typing import Any

import pytest
from tests.evals.conftest import evals_of, judge_reply, spec_for

from genloop.errors import InvalidInput
from genloop.providers._mock import MockProvider
from genloop.providers._pricing import PriceTable


def test_unknown_metric_fails_the_run_with_its_name(client: Any, golden: str) -> None:
    with pytest.raises(InvalidInput, match="unknown metric 'bleurt'"):
        evals_of(client).run(spec_for(golden, metrics=["bleurt"]))
    run = client.runs.list(kind="eval").items[0]
    detail = client.runs.get(run.id)
    assert detail.status == "failed" and "bleurt" in (detail.error or "")
    assert detail.summary["reason"] == "invalid_spec"


def test_missing_column_names_the_column_and_the_columns_there(local: Any, golden: str) -> None:
    spec = spec_for(golden, candidates=[{"name": "x", "output_column": "answer"}], judges=[])
    with pytest.raises(InvalidInput, match="no column 'answer'") as info:
        evals_of(local).run(spec)
    assert "question" in str(info.value)


def test_reference_metrics_without_a_reference_column_fail_before_any_call(local: Any) -> None:
    version = local.datasets.create("unlabelled", [{"id": "a", "question": "q?", "out": "x"}], kind="generic")
    spec = spec_for(f"unlabelled@{version.version}", metrics=["rouge_l", "length"],
                    candidates=[{"name": "c", "output_column": "out"}],
                    judges=[{"name": "correct", "model": "judge:j1", "use_reference": True}])
    with pytest.raises(InvalidInput, match="metric 'rouge_l', judge 'correct' need a reference") as info:
        evals_of(local).run(spec)
    assert "out" in str(info.value)  # the hint lists the columns to choose from
    run = local.runs.get(info.value.details["run_id"])
    assert run.status == "failed" and run.summary["reason"] == "invalid_spec"


def test_garbage_judge_is_recorded_as_unparsed(local: Any, golden: str) -> None:
    garbage = MockProvider(name="judge", reply="I would rather not say.")
    result = evals_of(local).run(spec_for(golden), providers={"judge": garbage})
    assert result.status == "succeeded"
    assert "base.correct" not in result.metrics
    assert result.judges["correct"]["unscored_items"] == 24
    assert result.judges["pairwise"]["unparsed"] == 12
    assert any("no readable score" in w for w in result.warnings)
    item = evals_of(local).items(result.run_id, 0, 1).items[0]
    sample = item.judgments["correct"]["samples"][0]
    assert sample["value"] is None and "no score" in sample["error"] and sample["raw"] == "I would rather not say."


def test_provider_failing_every_call(local: Any, golden: str) -> None:
    spec = spec_for(golden, judges=[], candidates=[{"name": "down", "model": "mock:fail-500"}])
    result = evals_of(local).run(spec)
    assert result.status == "failed" and result.reason == "item_errors"
    assert "12 items" in result.error and "HTTP 500" in result.error
    items = evals_of(local).items(result.run_id, 0, 50).items
    assert len(items) == 12 and all(i.status == "error" and "500" in i.error for i in items)
    again = evals_of(local).run(spec)  # errors are not cached: the failing calls are tried again
    assert again.status == "failed" and again.error_items == 12


def test_many_failures_in_a_row_stop_the_run(local: Any) -> None:
    rows = [{"question": f"q{i}"} for i in range(60)]
    local.datasets.create("many", rows)
    spec = {"dataset": "many", "input_column": "question", "concurrency": 2,
            "candidates": [{"name": "down", "model": "mock:fail-503"}]}
    result = evals_of(local).run(spec)
    assert result.status == "failed" and result.reason == "provider_error"
    assert "in a row" in result.error
    assert 20 <= result.error_items < 60


def priced_judge() -> MockProvider:
    return MockProvider(name="judge", reply=judge_reply, prices=PriceTable({"judge:j1": {"input": 1000},
                                                                              "judge:j2": {"input": 1000}}))


def test_cost_cap_stops_cleanly_and_a_rerun_resumes(client: Any, golden: str) -> None:
    judge = priced_judge()
    capped = evals_of(client).run(spec_for(golden, max_cost=1.0, concurrency=2), providers={"judge": judge})
    assert capped.status == "cancelled" and capped.reason == "cost_cap"
    assert "cost cap $1 reached" in capped.error
    assert 0 < capped.completed_items < 24
    assert capped.spent >= 1.0
    kept = {(i.example_id, i.candidate) for i in evals_of(client).items(capped.run_id, 0, 100).items}
    assert len(kept) == capped.completed_items

    resumed = evals_of(client).run(spec_for(golden, max_cost=100.0), providers={"judge": judge})
    assert resumed.status == "succeeded", resumed.error
    assert resumed.run_id != capped.run_id
    assert client.runs.get(resumed.run_id).params["resumed_from"] == capped.run_id
    assert resumed.completed_items == 24
    assert judge.calls == 24 + 12 * 2  # every (item, order) once across both runs: nothing was called twice
    fresh = evals_of(client).run(spec_for(golden), providers={"judge": MockProvider(name="judge", reply=judge_reply)},
                                 resume=False)
    assert fresh.metrics["pairwise.win_rate"] == resumed.metrics["pairwise.win_rate"]


def test_explicit_resume_of_a_run_from_another_spec_is_refused(local: Any, golden: str, judge: Any) -> None:
    from genloop.errors import Conflict

    capped = evals_of(local).run(spec_for(golden, max_cost=0.0), providers={"judge": priced_judge()})
    assert capped.status == "cancelled" and capped.completed_items == 0
    with pytest.raises(Conflict, match="different spec"):
        evals_of(local).run(spec_for(golden, limit=3), resume=capped.run_id, providers={"judge": judge})
    done = evals_of(local).run(spec_for(golden), resume=capped.run_id, providers={"judge": judge})
    assert done.status == "succeeded"


async def test_interrupted_run_keeps_finished_items_and_resumes(store: Any) -> None:
    import asyncio

    from genloop.client import Client
    from genloop.evals import EvalEngine

    client = Client(store=store)
    client.datasets.create("golden", __import__("tests.evals.conftest", fromlist=["ROWS"]).ROWS)
    svc = evals_of(client)
    slow = MockProvider(name="judge", reply=judge_reply, latency_ms=40)
    engine = EvalEngine(backend=svc.backend, datasets=client.datasets, prompts=client.prompts, models=client.models,
                        providers={"judge": slow})
    started = asyncio.Event()
    engine.progress = lambda done, total: started.set() if done >= 4 else None
    task = asyncio.create_task(engine.arun(spec_for("golden", concurrency=2)))
    await asyncio.wait_for(started.wait(), 30)
    task.cancel()  # what Ctrl-C does to asyncio.run's main task
    interrupted = await task
    assert interrupted.status == "cancelled" and interrupted.reason == "interrupted"
    assert 0 < interrupted.completed_items < 24
    calls = slow.calls
    engine.progress = None
    resumed = await engine.arun(spec_for("golden", concurrency=8))
    assert resumed.status == "succeeded" and resumed.completed_items == 24
    # finished items are not called again; only the (at most concurrency=2) calls cut off in flight are redone
    assert 24 + 12 * 2 <= slow.calls <= 24 + 12 * 2 + 2
    assert calls > 0
