"""Browser journey (Playwright on Debian's Chromium, the real server on loopback): from the pipelines list to a
failed run, its steps drawn as a graph, the failed step's error and log, and on to the step's own run."""

from __future__ import annotations

from typing import Any

import pytest

from genloop.datasets import DatasetService
from genloop.pipelines import Pipeline, PipelineService
from genloop.server import BackgroundServer
from genloop.store import Store
from ui.conftest import shot


@pytest.mark.slow
def test_find_why_a_pipeline_run_failed(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    DatasetService(ui_store).create("support", [{"text": f"row {i}"} for i in range(12)], kind="generic")
    p = Pipeline(description="prepare the support data")
    pin = p.step("pin", "dataset", dataset="support")
    split = p.step("split", "split", dataset=pin["dataset"], test_size=3)
    p.step("tell", "notify", url="http://127.0.0.1:9/hook", retries=0, depends_on=[split])  # nothing listens
    p.step("label", "promote", target="dataset:" + split["train"], alias="ready", depends_on=["tell"])
    service = PipelineService(ui_store)
    service.create("prep", p.spec())
    run = service.start("prep")
    assert run.status == "failed"

    page.goto(f"{live.url}/projects/default/pipelines")
    page.get_by_role("link", name=run.id[:12]).click()
    page.wait_for_selector("svg.lineage")
    assert page.locator("svg.lineage g.node").count() == 4
    assert page.locator("svg.lineage g.node-failed").count() == 1
    assert page.locator("svg.lineage g.node-skipped").count() == 1
    page.locator("svg.lineage g.node-failed a").click()
    failed = page.locator("#step-tell")
    assert "could not deliver to http://127.0.0.1:9/hook" in failed.locator(".error").inner_text()
    assert failed.locator("details").get_attribute("open") is not None  # a failed step's log is open
    shot(page, "pipeline-run-failed")
    page.locator("#step-split").get_by_role("link").first.click()
    page.wait_for_url("**/runs/**")
    assert "pipeline-step" in page.locator("dl.meta").inner_text()
