"""Runs through the SDK, in-process and over REST (the ``client`` fixture runs both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop import Conflict, InvalidInput, NotFound
from genloop.runs import MetricPoint, Run


def test_start_resolves_inputs_and_rejects_bad_ones(client, seed) -> None:  # type: ignore[no-untyped-def]
    seed.dataset("golden")
    seed.dataset("golden", content="v2")
    seed.prompt("support")
    seed.label("prompt", "support@1", "production")
    client.models.register("tiny", kind="provider", uri="mock:echo")
    client.models.alias("tiny@1", "champion")

    run = client.runs.start("eval", name="nightly", params={"n": 3},
                            inputs=["dataset:golden", "prompt:support@production", "model:tiny@champion"])
    assert isinstance(run, Run) and len(run.id) == 32 and run.status == "running"
    assert run.inputs == ["dataset:golden@2", "prompt:support@1", "model:tiny@1"]
    assert (run.kind, run.name, run.params, run.created_by) == ("eval", "nightly", {"n": 3}, "tester")

    bad = [
        (["dataset:golden@9"], NotFound, "dataset 'golden' has no version 9 (latest is 2); use golden@2"),
        (["model:tiny@production"], NotFound, "model 'tiny' has no label 'production'; known labels: champion"),
        (["golden@1"], InvalidInput, "reference 'golden@1' needs an entity type"),
        (["trace:x"], InvalidInput, "unknown entity type 'trace'"),
        (["prompt:ghost"], NotFound, "prompt 'ghost' does not exist in project 'default'"),
    ]
    for inputs, error, message in bad:
        with pytest.raises(error) as info:
            client.runs.start("eval", inputs=["dataset:golden@1", *inputs])
        assert message in str(info.value), str(info.value)
    with pytest.raises(InvalidInput, match="invalid run kind 'Bad Kind'"):
        client.runs.start("Bad Kind")
    assert [r.id for r in client.runs.list().items] == [run.id]  # no partial run

    creates = client.audit.list(entity_type="run").items
    assert [(e.action, e.entity_name) for e in creates] == [("create", run.id)]
    assert creates[0].after["inputs"] == run.inputs


def test_logging_and_reading_back(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = client.runs.start("tune", params={"lr": 0.001})
    client.runs.log_params(run.id, {"epochs": 2, "lr": 0.002})
    client.runs.log_metrics(run.id, {"loss": 2.0, "acc": 0.5}, step=0)
    client.runs.log_metrics(run.id, {"loss": 1.0}, step=1)
    client.runs.log_metrics(run.id, {"f1": 0.7})
    client.runs.log_series(run.id, "eval/loss", [(0, 3.0), {"step": 10, "value": 1.5}, MetricPoint(step=5, value=2.5)])

    got = client.runs.get(run.id)
    assert got.params == {"lr": 0.002, "epochs": 2}
    assert got.metrics == {"loss": 1.0, "acc": 0.5, "f1": 0.7}
    summary = {s.key: (s.count, s.last_step, s.last, s.min, s.max) for s in got.series}
    assert summary == {"acc": (1, 0, 0.5, 0.5, 0.5), "eval/loss": (3, 10, 1.5, 1.5, 3.0), "loss": (2, 1, 1.0, 1.0, 2.0)}
    assert got.series_keys == ["acc", "eval/loss", "loss"]
    assert client.runs.series(run.id, "eval/loss") == [MetricPoint(step=0, value=3.0), MetricPoint(step=5, value=2.5),
                                                       MetricPoint(step=10, value=1.5)]
    with pytest.raises(NotFound, match="has no metric series 'f1'; series of this run: acc, eval/loss, loss"):
        client.runs.series(run.id, "f1")

    for call, message in [
        (lambda: client.runs.log_metrics(run.id, {"loss": float("nan")}), "metric 'loss' must be finite"),
        (lambda: client.runs.log_metrics(run.id, {"loss": "low"}), "metric 'loss' must be a number"),
        (lambda: client.runs.log_metrics(run.id, {"bad key": 1.0}), "invalid metric name 'bad key'"),
        (lambda: client.runs.log_metrics(run.id, {"loss": 1.0}, step=-1), "step must be an integer >= 0"),
        (lambda: client.runs.log_series(run.id, "loss", [(1, 2, 3)]), "series point 0 is"),
    ]:
        with pytest.raises(InvalidInput) as info:
            call()
        assert message in str(info.value)
    assert client.runs.get(run.id).metrics == got.metrics

    with pytest.raises(NotFound, match="run 'nope' does not exist in project 'default'"):
        client.runs.get("nope")
    with pytest.raises(NotFound, match="run 'nope' does not exist"):
        client.runs.log_metrics("nope", {"x": 1.0})


def test_artifacts_round_trip(client, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = client.runs.start("data")
    source = tmp_path / "report.json"
    payload = b'{"rows": 3}' + bytes(range(256)) * 5000
    source.write_bytes(payload)
    artifact = client.runs.log_artifact(run.id, "reports/report.json", source)
    assert (artifact.name, artifact.size_bytes) == ("reports/report.json", len(payload))
    assert store.artifacts.exists(f"runs/{run.id}/reports/report.json")

    written = client.runs.download_artifact(run.id, "reports/report.json", tmp_path / "out" / "copy.json")
    assert written == tmp_path / "out" / "copy.json" and written.read_bytes() == payload
    (tmp_path / "dir").mkdir()
    assert client.runs.download_artifact(run.id, "reports/report.json", tmp_path / "dir").name == "report.json"
    with client.runs.open_artifact(run.id, "reports/report.json") as fh:
        assert fh.read() == payload

    with pytest.raises(Conflict, match="already has an artifact 'reports/report.json'"):
        client.runs.log_artifact(run.id, "reports/report.json", source)
    with pytest.raises(InvalidInput, match="invalid artifact name '../x'"):
        client.runs.log_artifact(run.id, "../x", source)
    with pytest.raises(InvalidInput, match="does not exist"):
        client.runs.log_artifact(run.id, "x", tmp_path / "missing")
    with pytest.raises(NotFound, match="has no artifact 'nope'; artifacts of this run: reports/report.json"):
        client.runs.download_artifact(run.id, "nope", tmp_path / "nope")
    assert not (tmp_path / "nope").exists()
    assert [a.name for a in client.runs.get(run.id).artifacts] == ["reports/report.json"]


def test_finish_freezes_the_run(client, seed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed.dataset("golden")
    run = client.runs.start("data")
    assert client.runs.add_input(run.id, "dataset:golden") == "dataset:golden@1"
    assert client.runs.add_output(run.id, "dataset:golden@1") == "dataset:golden@1"
    client.runs.add_output(run.id, "dataset:golden@1")  # idempotent
    with pytest.raises(InvalidInput, match="invalid final status 'running'"):
        client.runs.finish(run.id, status="running")
    done = client.runs.finish(run.id, status="failed", error="disk full", summary={"rows": 0})
    assert (done.status, done.error, done.summary) == ("failed", "disk full", {"rows": 0})
    assert done.ended_at is not None and done.ended_at >= done.started_at
    assert done.inputs == ["dataset:golden@1"] and done.outputs == ["dataset:golden@1"]

    (tmp_path / "f").write_text("x")
    frozen = f"run {run.id} is failed; a finished run is frozen and cannot change"
    for call in (lambda: client.runs.log_metrics(run.id, {"x": 1.0}), lambda: client.runs.log_params(run.id, {"a": 1}),
                 lambda: client.runs.log_series(run.id, "x", [(0, 1.0)]),
                 lambda: client.runs.log_artifact(run.id, "f", tmp_path / "f"),
                 lambda: client.runs.add_output(run.id, "dataset:golden"), lambda: client.runs.finish(run.id)):
        with pytest.raises(Conflict) as info:
            call()
        assert frozen in str(info.value)
    assert client.runs.get(run.id).artifacts == []
    finishes = client.audit.list(entity_type="run", action="finish").items
    assert [(e.before, e.after) for e in finishes] == [({"status": "running"}, {"status": "failed",
                                                                                "error": "disk full"})]


def test_list_filters_and_context_manager(client) -> None:  # type: ignore[no-untyped-def]
    with client.runs.run(kind="data", name="ok") as ok:
        ok.log_metrics({"rows": 10})
        ok.summary["note"] = "clean"
    assert ok.info.status == "succeeded" and ok.info.summary == {"note": "clean"}

    with pytest.raises(ValueError, match="bad row 7"), client.runs.run(kind="tune", params={"lr": 1}) as failing:
        raise ValueError("bad row 7")
    assert client.runs.get(failing.id).error == "bad row 7"

    with client.runs.run(kind="eval") as manual:
        manual.finish("cancelled")
    running = client.runs.start("eval")

    assert [r.id for r in client.runs.list().items] == [running.id, manual.id, failing.id, ok.id]
    assert [r.status for r in client.runs.list().items] == ["running", "cancelled", "failed", "succeeded"]
    assert [r.id for r in client.runs.list(kind="eval").items] == [running.id, manual.id]
    assert [r.id for r in client.runs.list(status="failed").items] == [failing.id]
    page = client.runs.list(offset=1, limit=2)
    assert (len(page.items), page.total, page.next_offset) == (2, 4, 3)
    assert client.runs.list(kind="data").items[0].metrics == {"rows": 10.0}
    with pytest.raises(InvalidInput, match="invalid run status 'done'"):
        client.runs.list(status="done")
    with pytest.raises(InvalidInput, match="limit must be between 1 and 1000, got 0"):
        client.runs.list(limit=0)
    with pytest.raises(NotFound), client.runs.run(kind="data", inputs=["model:ghost"]):
        pass  # never reached: the input does not resolve, so no run starts
    assert client.runs.list().total == 4
