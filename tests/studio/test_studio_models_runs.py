"""Studio's model, run and lineage pages: status actions, aliases, the lineage graph, curves, artifacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from genloop.audit import AuditService
from genloop.auth import KeyService
from genloop.datasets import DatasetService
from genloop.models import ModelService
from genloop.runs import RunService
from genloop.store import Store
from studio.conftest import login, token


@pytest.fixture
def tuned(store: Store, tmp_path: Path) -> dict[str, str]:
    """A base model, a dataset, a tune run that read both and made an adapter, and an eval run that read it."""
    DatasetService(store, "alpha").create("golden", [{"prompt": "a", "completion": "b"}])
    models = ModelService(store, "alpha", actor="ana")
    (tmp_path / "base").mkdir()
    models.register("base", kind="checkpoint", uri=str(tmp_path / "base"))
    runs = RunService(store, "alpha")
    tune = runs.start("tune", name="lora <b>1</b>", params={"lr": 0.001}, inputs=["dataset:golden@1", "model:base@1"])
    runs.log_series(tune.id, "train/loss", [(step, 2.0 / (step + 1)) for step in range(50)])
    runs.log_metrics(tune.id, {"eval_loss": 0.42})
    (tmp_path / "notes.txt").write_text("hello artifact")
    runs.log_artifact(tune.id, "notes.txt", tmp_path / "notes.txt")
    (tmp_path / "adapter").mkdir()
    adapter = models.register("tiny", kind="adapter", uri=str(tmp_path / "adapter"), base="base@1",
                              source_run_id=tune.id)
    runs.add_output(tune.id, f"model:{adapter.ref}")
    runs.finish(tune.id)
    evaluation = runs.start("eval", name="tuned vs base", inputs=["model:tiny@1"])
    runs.log_metrics(evaluation.id, {"chrf": 0.61, "chrf.ci_low": 0.55, "chrf.ci_high": 0.66})
    runs.finish(evaluation.id)
    return {"tune": tune.id, "eval": evaluation.id}


def test_models_list_and_versions(web: TestClient, tuned: dict[str, str]) -> None:
    listing = web.get("/projects/alpha/models").text
    assert "tiny" in listing and "base" in listing and "adapter" in listing and "checkpoint" in listing
    versions = web.get("/projects/alpha/models/tiny").text
    assert "v1" in versions and "draft" in versions and "base@1" in versions
    assert web.get("/projects/alpha/models/nope").status_code == 404


def test_model_version_shows_lineage_and_the_evaluations_that_read_it(web: TestClient, tuned: dict[str, str]) -> None:
    page = web.get("/projects/alpha/models/tiny/1").text
    assert "<svg" in page and "golden@1" in page and "base@1" in page and f"/projects/alpha/runs/{tuned['tune']}" in page
    assert "tuned vs base" in page and "[0.55, 0.66]" in page
    assert "Mark reviewed" in page and "Mark approved" in page  # the actions draft allows


def test_status_actions_follow_the_lifecycle_and_are_audited(web: TestClient, tuned: dict[str, str],
                                                             store: Store) -> None:
    csrf = token(web, "/projects/alpha/models/tiny/1")
    answer = web.post("/projects/alpha/models/tiny/1/status", follow_redirects=False,
                      data={"status": "approved", "reason": "beats base on chrF", "csrf_token": csrf})
    assert answer.status_code == 303
    assert ModelService(store, "alpha").get("tiny@1").status == "approved"
    page = web.get("/projects/alpha/models/tiny/1").text
    assert "beats base on chrF" in page and "Mark retired" in page and "Mark reviewed" not in page
    again = web.post("/projects/alpha/models/tiny/1/status", data={"status": "draft", "csrf_token": csrf})
    assert again.status_code == 409 and "cannot go from approved to draft" in again.text
    web.post("/projects/alpha/models/tiny/1/aliases", data={"alias": "champion", "csrf_token": csrf})
    assert ModelService(store, "alpha").get("tiny@champion").version == 1
    actions = {e.action for e in AuditService(store, "alpha").list(entity_type="model").items}
    assert {"status", "alias"} <= actions or {"status"} <= actions


def test_run_page_draws_curves_and_lists_everything(web: TestClient, tuned: dict[str, str]) -> None:
    page = web.get(f"/projects/alpha/runs/{tuned['tune']}").text
    assert "uPlot.iife.min.js" in page and 'id="series-data"' in page
    data = re.search(r'<script type="application/json" id="series-data">(.*?)</script>', page, re.S)
    assert data and '"train/loss"' in data.group(1)
    assert "dataset:golden@1" in page and "model:tiny@1" in page and "notes.txt" in page and "eval_loss" in page
    assert "lora &lt;b&gt;1&lt;/b&gt;" in page and "lora <b>1" not in page
    artifact = web.get(f"/projects/alpha/runs/{tuned['tune']}/artifacts/notes.txt")
    assert artifact.status_code == 200 and artifact.content == b"hello artifact"
    assert web.get(f"/projects/alpha/runs/{tuned['tune']}/artifacts/missing.txt").status_code == 404


def test_runs_list_filters_by_kind_and_status(web: TestClient, tuned: dict[str, str]) -> None:
    evals = web.get("/projects/alpha/runs?kind=eval").text
    assert "tuned vs base" in evals and "lora" not in evals
    assert web.get("/projects/alpha/runs?status=bogus").status_code == 400


def test_lineage_graph_from_any_version(web: TestClient, tuned: dict[str, str]) -> None:
    page = web.get("/projects/alpha/lineage?ref=dataset:golden@1").text
    assert "<svg" in page and "golden@1" in page
    graph = web.get("/projects/alpha/lineage?ref=model:tiny@1").text
    assert graph.count('class="node ') >= 4  # tiny, the run, golden, base
    assert web.get("/projects/alpha/lineage?ref=model:nope@1").status_code == 404
    assert web.get("/projects/alpha/lineage").status_code == 400


def test_access_follows_the_rest_api(auth_web: TestClient, auth_store: Store) -> None:
    ModelService(auth_store, "alpha").register("base", kind="provider", uri="mock:echo")
    ModelService(auth_store, "beta").register("secret", kind="provider", uri="mock:echo")
    login(auth_web, KeyService(auth_store, "alpha").create("reader", scopes=["read"]).key)
    assert auth_web.get("/projects/beta/models/secret/1").status_code == 403
    assert auth_web.get("/projects/beta/runs").status_code == 403
    assert auth_web.get("/projects/beta/lineage?ref=model:secret@1").status_code == 403
    csrf = token(auth_web, "/projects/alpha/models/base/1")
    refused = auth_web.post("/projects/alpha/models/base/1/status", data={"status": "approved", "csrf_token": csrf})
    assert refused.status_code == 403
    assert ModelService(auth_store, "alpha").get("base@1").status == "draft"


def test_model_page_shows_the_comparison_its_tuning_recorded(web: TestClient, store: Store, tmp_path: Path) -> None:
    runs = RunService(store, "alpha")
    tuned_eval = runs.start("eval", name="tuned on golden")
    runs.finish(tuned_eval.id)
    (tmp_path / "w").mkdir()
    comparison = {"chrf": {"base": 0.02, "tuned": 0.2, "delta": 0.18, "ci_low": 0.15, "ci_high": 0.2, "p_value": 1e-4,
                           "significant": True, "wins": 40, "ties": 0, "losses": 0}}
    ModelService(store, "alpha").register("tiny", kind="checkpoint", uri=str(tmp_path / "w"),
                                          metadata={"evaluation": {"comparison": comparison,
                                                                   "tuned_run": tuned_eval.id}, "files": 6})
    page = web.get("/projects/alpha/models/tiny/1").text
    table = page[page.index('id="comparison"'):]
    assert "chrf" in table and "[0.15, 0.2]" in table and "40 / 0 / 0" in table
    assert "tuned on golden" in page  # the evaluation run named by the metadata
    assert "1 key: files" in page  # the rest of the metadata, folded


def test_lineage_draws_the_traffic_a_run_read() -> None:
    from genloop.runs import LineageNode
    from genloop.studio._graph import layout_lineage

    if "input_trace_count" not in LineageNode.model_fields:
        pytest.skip("this lineage records no trace inputs")
    run = {"id": "r1", "kind": "data", "name": "feedback export", "status": "succeeded",
           "started_at": "2025-01-01T00:00:00Z"}
    node = LineageNode.model_validate({"entity_type": "dataset", "name": "fixes", "version": 1,
                                       "ref": "dataset:fixes@1", "produced_by": run,
                                       "input_traces": ["a" * 32, "b" * 32], "input_trace_count": 2})
    graph = layout_lineage(node, "alpha")
    traces = next(n for n in graph.nodes if n.kind == "trace")
    assert traces.label == "2 traces" and traces.href == "/projects/alpha/traces"
    assert any(e.source == traces.key and e.target == "run:r1" for e in graph.edges)
    assert traces.x < next(n for n in graph.nodes if n.kind == "run").x  # drawn left of the run
