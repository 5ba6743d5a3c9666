"""Studio's pipeline pages: the list, a pipeline with its runs, a run's steps as a graph with status and logs;
and the same access check as the REST routes behind them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.pipelines._helpers import FAIL, add_dataset
from tests.studio.conftest import BASE, server_app

from genloop.pipelines import Pipeline, PipelineService
from genloop.store import Store


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """SQLite only: Studio draws what PipelineService reads, which test_run.py runs on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


@pytest.fixture
def web(store: Store) -> Iterator[TestClient]:
    with TestClient(server_app(store), base_url=BASE) as client:
        yield client


def test_run_page_draws_the_steps_with_status_and_logs(web: TestClient, store: Store, plugin: None) -> None:
    add_dataset(store)
    p = Pipeline(description="with a <b>tag</b>")
    a = p.step("a", "echo", value="<script>alert(1)</script>")
    p.step("b", "echo", value=a["value"])
    p.step("c", "split", dataset="support", depends_on=["b"])
    service = PipelineService(store)
    service.create("flow", p.spec())
    FAIL.add("b")
    run = service.start("flow", trigger={"source": "test"})
    page = web.get(f"/projects/default/pipeline-runs/{run.id}")
    assert page.status_code == 200
    html = page.text
    assert 'class="lineage"' in html and "node-succeeded" in html and "node-failed" in html and "node-skipped" in html
    assert 'id="step-b"' in html and "told to fail" in html  # the error and the log
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html  # escaped
    assert html.count('class="edge"') == 2  # a -> b -> c
    listing = web.get("/projects/default/pipelines").text
    assert "flow" in listing and run.id[:12] in listing and "b: failed" in listing
    detail = web.get("/projects/default/pipelines/flow").text
    assert "kind: echo" in detail and "&lt;b&gt;tag&lt;/b&gt;" in detail
    assert web.get("/projects/default/pipeline-runs/nope").status_code == 404
    assert 'hx-trigger="every 2s"' not in html  # a finished run does not poll
    started = service.create_run("flow")  # recorded, not yet run: its page polls until it ends
    assert 'hx-trigger="every 2s"' in web.get(f"/projects/default/pipeline-runs/{started.id}").text
    step_page = web.get(f"/projects/default/runs/{run.step('b').run_id}").text
    assert f"/projects/default/pipeline-runs/{run.id}#step-b" in step_page
    assert f"/projects/default/pipeline-runs/{run.id}" in web.get(f"/projects/default/runs/{run.id}").text
