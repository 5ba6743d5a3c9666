"""Running pipelines in-process: order, lineage, the content cache, failure and resume."""

from __future__ import annotations

import pytest
from tests.pipelines._helpers import CALLS, FAIL, add_dataset

from genloop.datasets import DatasetService
from genloop.errors import InvalidInput
from genloop.pipelines import Pipeline, PipelineService
from genloop.runs import RunService
from genloop.store import Store


def _data_pipeline() -> Pipeline:
    p = Pipeline(description="split then dedup")
    source = p.param("source", "support")
    pin = p.step("pin", "dataset", dataset=source)
    split = p.step("split", "split", dataset=pin["dataset"], test_size=0.25, seed=1)
    p.step("dedup", "dedup", dataset=split["train"], method="exact", name="support-clean")
    return p


def test_run_in_order_with_lineage(store: Store) -> None:
    add_dataset(store)
    service = PipelineService(store)
    info = service.create("prep", _data_pipeline().spec())
    run = service.start("prep")
    assert run.status == "succeeded", run.error
    assert [s.status for s in run.steps] == ["succeeded"] * 3
    assert run.step("split").outputs == {"train": "support-train@1", "test": "support-test@1"}
    assert run.step("dedup").outputs["dataset"] == "support-clean@1"
    # each step is a GenLoop run with its inputs and outputs as lineage
    step_run = RunService(store).get(run.step("split").run_id)  # type: ignore[arg-type]
    assert step_run.kind == "pipeline-step" and step_run.status == "succeeded"
    assert step_run.inputs == ["dataset:support@1"]
    assert set(step_run.outputs) == {"dataset:support-train@1", "dataset:support-test@1"}
    pipeline_run = RunService(store).get(run.id)
    assert pipeline_run.kind == "pipeline" and pipeline_run.status == "succeeded"
    # the lineage of a split part goes through the step's run to the pinned input; pinning made nothing
    lineage = RunService(store).lineage("dataset:support-train@1")
    assert lineage.produced_by is not None and lineage.produced_by.kind == "pipeline-step"
    assert [i.ref for i in lineage.inputs] == ["dataset:support@1"] and lineage.inputs[0].produced_by is None
    pin_run = RunService(store).get(run.step("pin").run_id)  # type: ignore[arg-type]
    assert pin_run.inputs == ["dataset:support@1"] and pin_run.outputs == []
    assert service.runs("prep").items[0].id == run.id and info.version == 1


def test_unchanged_steps_are_skipped_and_say_so(store: Store) -> None:
    add_dataset(store)
    service = PipelineService(store)
    service.create("prep", _data_pipeline().spec())
    first = service.start("prep")
    second = service.start("prep")
    assert second.status == "succeeded"
    assert [s.status for s in second.steps] == ["succeeded", "cached", "cached"]  # pinning always runs
    split = second.step("split")
    assert split.cached_from == first.id and split.outputs == first.step("split").outputs
    assert "unchanged" in split.log
    # a new version of the input invalidates every step downstream of it
    add_dataset(store, n=24)
    third = service.start("prep")
    assert [s.status for s in third.steps] == ["succeeded"] * 3
    assert third.step("split").outputs["train"] == "support-train@2"
    # so does a changed parameter, only for the steps it reaches
    fourth = service.start("prep", params={"source": "support@1"})
    assert [s.status for s in fourth.steps] == ["succeeded", "cached", "cached"]


def test_failed_step_leaves_inputs_untouched_and_resume_runs_from_it(store: Store, plugin: None) -> None:
    add_dataset(store)
    p = Pipeline()
    a = p.step("a", "echo", value="x")
    b = p.step("b", "echo", value=a["upper"])
    p.step("c", "split", dataset="support", depends_on=[b])
    service = PipelineService(store)
    service.create("flow", p.spec())
    FAIL.add("b")
    failed = service.start("flow")
    assert failed.status == "failed" and "step 'b' failed" in (failed.error or "")
    assert [s.status for s in failed.steps] == ["succeeded", "failed", "skipped"]
    b_state = failed.step("b")
    assert "told to fail" in (b_state.error or "") and "told to fail" in b_state.log
    b_run = RunService(store).get(b_state.run_id)  # type: ignore[arg-type]
    assert b_run.status == "failed" and "told to fail" in (b_run.error or "")
    assert DatasetService(store).list().total == 1  # nothing written by the failed pipeline
    FAIL.clear()
    CALLS.clear()
    resumed = service.start("flow", resume="latest")
    assert resumed.status == "succeeded" and resumed.resumed_from == failed.id
    assert [s.status for s in resumed.steps] == ["reused", "succeeded", "succeeded"]
    assert CALLS == ["b"]  # a was not run again
    assert resumed.step("b").outputs == {"value": "X", "upper": "X"}


def test_params_trigger_and_interpolation(store: Store, plugin: None) -> None:
    p = Pipeline()
    who = p.param("who", "team")
    p.step("hello", "echo", value="hello ${params.who} from ${trigger.source}", cache=False)
    p.step("same", "echo", value=who, cache=False)
    service = PipelineService(store)
    service.create("hello", p.spec())
    run = service.start("hello", params={"who": 42}, trigger={"source": "cron"})
    assert run.step("hello").outputs["value"] == "hello 42 from cron"
    assert run.step("same").outputs["value"] == 42  # a whole expression keeps its type
    assert run.trigger == {"source": "cron"} and run.params == {"who": 42}


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the processes are tested, not the SQL
def test_subprocess_mode_runs_each_step_as_genloop_pipelines_step(store: Store) -> None:
    add_dataset(store)
    service = PipelineService(store)
    service.create("prep", _data_pipeline().spec())
    run = service.start("prep", mode="subprocess")
    assert run.status == "succeeded", run.error
    assert [s.status for s in run.steps] == ["succeeded"] * 3
    assert "[process exit 0]" in run.step("split").log


def test_nested_spec_references_are_pinned_for_the_cache(store: Store) -> None:
    """An eval spec naming ``qa`` (latest) must not be skipped as unchanged once qa has a new version."""
    DatasetService(store).create("qa", [{"input": f"q{i}", "reference": f"q{i}"} for i in range(4)], kind="eval")
    p = Pipeline()
    p.step("evaluate", "eval", spec={"name": "e", "dataset": "qa", "metrics": ["exact_match"],
                                     "candidates": [{"name": "echo", "model": "mock:echo"}]})
    service = PipelineService(store)
    service.create("ev", p.spec())
    first = service.start("ev")
    assert first.status == "succeeded", first.error
    assert RunService(store).get(first.step("evaluate").run_id).inputs == ["dataset:qa@1"]  # type: ignore[arg-type]
    assert service.start("ev").step("evaluate").status == "cached"
    DatasetService(store).create("qa", [{"input": f"q{i}", "reference": "x"} for i in range(4)], kind="eval")
    third = service.start("ev")
    assert third.step("evaluate").status == "succeeded" and third.step("evaluate").outputs["metrics"][
        "exact_match"] == 0.0


def test_resume_needs_the_same_version(store: Store, plugin: None) -> None:
    service = PipelineService(store)
    service.create("v", {"steps": [{"name": "a", "kind": "echo", "params": {"value": 1}}]})
    FAIL.add("a")
    failed = service.start("v")
    service.create("v", {"steps": [{"name": "a", "kind": "echo", "params": {"value": 2}}]})
    with pytest.raises(InvalidInput, match="ran v@1, not @2"):
        service.start("v", resume=failed.id)
    FAIL.clear()
    assert service.start("v@1", resume="latest").status == "succeeded"


def test_interrupt_leaves_nothing_running(store: Store, plugin: None) -> None:
    """Ctrl-C in a step: the step is failed, its run and the pipeline run cancelled, the next step skipped."""
    from tests.pipelines import _helpers

    service = PipelineService(store)
    service.create("i", {"steps": [{"name": "a", "kind": "echo", "params": {"value": 1}},
                                   {"name": "b", "kind": "echo", "params": {"value": "${steps.a.value}"}}]})
    _helpers.INTERRUPT.add("a")
    try:
        with pytest.raises(KeyboardInterrupt):
            service.start("i")
    finally:
        _helpers.INTERRUPT.clear()
    run = service.runs("i").items[0]
    assert run.status == "cancelled" and run.step("a").status == "failed" and "interrupted" in (run.step("a").error or "")
    assert RunService(store).get(run.step("a").run_id).status == "cancelled"  # type: ignore[arg-type]
    assert run.step("b").status == "skipped"


def test_racing_starts_with_one_key_agree_on_one_run(store: Store, plugin: None) -> None:
    """Two orchestrator retries start at once: both get the same run; the other is cancelled, not left running."""
    import threading

    service = PipelineService(store)
    service.create("k", {"steps": [{"name": "a", "kind": "echo", "params": {"value": 1}}]})
    results: list[str] = []
    barrier = threading.Barrier(2)

    def start() -> None:
        barrier.wait()
        results.append(PipelineService(store).create_run("k", key="wf-1").id)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    runs = service.runs("k").items
    assert {r.status for r in runs if r.id != results[0]} <= {"cancelled"}
    assert service.get_run("key:wf-1").id == results[0]
