"""Built-in step kinds against the real services: import, promote (model alias, prompt label), deploy (canary
weights), clean; a local file is read only by local runs; a kind's own error fails the step with its message."""

from __future__ import annotations

from pathlib import Path

from genloop.datasets import DatasetService
from genloop.deployments import DeploymentService
from genloop.models import ModelService
from genloop.pipelines import Pipeline, PipelineService
from genloop.prompts import PromptService
from genloop.store import Store


def test_promote_and_canary_weights(store: Store) -> None:
    models = ModelService(store)
    models.register("bot", kind="provider", uri="mock:echo")
    models.register("bot", kind="provider", uri="mock:echo", config={"reply": "new"})
    models.alias("bot@1", "champion")
    models.alias("bot@1", "canary")
    PromptService(store).create("support", messages=[{"role": "user", "content": "{{ q }}"}], model="mock:echo")
    DeploymentService(store).create("support-bot", variants=[
        {"name": "main", "model": "bot@champion", "weight": 1.0}, {"name": "canary", "model": "bot@canary", "weight": 0.0}])
    p = Pipeline()
    promote = p.step("promote", "promote", target="model:bot@2", alias="canary")
    label = p.step("label", "promote", target="prompt:support@1", alias="production")
    p.step("canary", "deploy", deployment="support-bot", weights={"main": 0.9, "canary": 0.1},
           depends_on=[promote, label])
    service = PipelineService(store)
    service.create("roll", p.spec())
    run = service.start("roll")
    assert run.status == "succeeded", run.error
    assert run.step("promote").outputs["model"] == "bot@2" and "canary" in models.get("bot@2").aliases
    assert "production" in PromptService(store).get("support@production").labels
    deployment = DeploymentService(store).get("support-bot")
    assert {v.name: v.weight for v in deployment.variants} == {"main": 0.9, "canary": 0.1}
    assert run.step("canary").outputs["deployment"] == f"support-bot@{deployment.version}"
    # a variant the deployment does not have fails the step and changes nothing
    service.create("bad", {"steps": [{"name": "d", "kind": "deploy",
                                      "params": {"deployment": "support-bot", "weights": {"cnary": 0.5}}}]})
    failed = service.start("bad")
    assert failed.status == "failed" and "has no variant(s) cnary" in (failed.step("d").error or "")
    assert DeploymentService(store).get("support-bot").version == deployment.version


def test_import_rows_and_local_files(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "a b c"}\n{"text": "a b c"}\n{"text": "d e f"}\n', encoding="utf-8")
    service = PipelineService(store)
    service.create("imp", {"steps": [
        {"name": "load", "kind": "dataset_import", "params": {"name": "notes", "path": str(data)}},
        {"name": "clean", "kind": "dedup", "params": {"dataset": "${steps.load.dataset}", "method": "exact",
                                                      "name": "notes-clean"}}]})
    remote_like = service.start("imp")  # as a server runs it: no local files
    assert remote_like.status == "failed"
    assert "a path is read only by pipelines run locally" in (remote_like.step("load").error or "")
    assert DatasetService(store).list().total == 0
    local = service.start("imp", local=True)
    assert local.status == "succeeded", local.error
    assert DatasetService(store).get(local.step("clean").outputs["dataset"]).num_rows == 2
    service.create("rows", {"steps": [{"name": "load", "kind": "dataset_import",
                                       "params": {"name": "inline", "rows": [{"text": "x"}]}}]})
    assert service.start("rows").step("load").outputs == {"dataset": "inline@1"}


def test_review_request_opens_a_governance_review(store: Store) -> None:
    import pytest

    ReviewService = pytest.importorskip("genloop.governance").ReviewService

    ModelService(store).register("bot", kind="provider", uri="mock:echo")
    service = PipelineService(store)
    service.create("rev", {"steps": [{"name": "ask", "kind": "review_request",
                                      "params": {"target": "model:bot@1", "alias": "production"}}]})
    run = service.start("rev")
    assert run.status == "succeeded", run.error
    review = ReviewService(store).get(run.step("ask").outputs["review"])
    assert review.status == "pending" and review.target == "production" and review.version == 1


def test_feedback_of_the_last_week_to_a_split(store: Store) -> None:
    """The loop's first steps: corrections of the last 7 days -> an SFT version -> train/test, with lineage
    from the split parts back to the traces; a rerun with no new feedback reuses everything downstream."""
    import time

    from genloop.feedback import FeedbackService
    from genloop.runs import RunService
    from genloop.tracing import TraceService, new_trace_id

    now = time.time()
    fb = FeedbackService(store)
    for i in range(10):
        tid = new_trace_id()
        TraceService(store).record([{"id": tid, "deployment": "bot", "started_at": now - 60,
                                     "input": [{"role": "user", "content": f"question {i}?"}],
                                     "output": {"role": "assistant", "content": "wrong"}}])
        fb.create(tid, name="answer", correction=f"answer {i}")
    p = Pipeline()
    export = p.step("export", "feedback_export", kind="sft", name="bot-sft", deployment="bot", since="7d")
    p.step("split", "split", dataset=export["dataset"], test_size=2)
    service = PipelineService(store)
    service.create("fb", p.spec())
    run = service.start("fb")
    assert run.status == "succeeded", run.error
    assert run.step("export").outputs["rows"] == 10 and run.step("export").outputs["dataset"] == "bot-sft@1"
    assert DatasetService(store).get(run.step("split").outputs["train"]).num_rows == 8
    lineage = RunService(store).lineage("dataset:bot-sft-train@1", depth=5)
    assert lineage.inputs[0].ref == "dataset:bot-sft@1" and lineage.inputs[0].input_trace_count == 10
    again = service.start("fb")
    assert [s.status for s in again.steps] == ["succeeded", "cached"]  # the export always looks again
