"""Journey: watch a running prompt optimization; a candidate and then the held-out verdict appear on the open
page without a reload (htmx polling), and the page stops polling once the run has finished."""

from __future__ import annotations

from typing import Any

import pytest

from genloop.runs import RunService
from genloop.server import BackgroundServer
from genloop.store import Store
from studio.test_studio_optimize import _finish, _optimization
from ui.conftest import shot


@pytest.mark.slow  # waits for two polls (2 s each)
def test_optimization_page_updates_live(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    run_id = _optimization(ui_store)
    page.goto(live.url + f"/projects/default/optimize/{run_id}")
    assert page.locator("#candidate-table tbody tr").count() == 2
    assert page.locator("text=more coming").count() == 1

    service = RunService(ui_store)
    state = service.get(run_id).params["state"]
    state["candidates"].append({"ref": "support@3", "how": "few-shot: 2 demonstrations", "round": 2, "score": 0.55,
                                "ci_low": 0.35, "ci_high": 0.74, "eval_run": None})
    service.log_params(run_id, {"state": state})
    page.wait_for_selector("text=few-shot: 2 demonstrations", timeout=10_000)  # polled in, no reload
    assert page.locator("#candidate-table tbody tr").count() == 3

    _finish(ui_store, run_id, significant=True)
    page.wait_for_selector("#verdict", timeout=10_000)
    assert "significantly better" in page.locator("#verdict").inner_text()
    assert page.locator("#candidates[hx-trigger]").count() == 0  # finished: no more polling
    assert page.locator("#candidate-table tr.best").count() == 1 and page.locator("#candidate-table tbody tr").count() == 3
    assert page.locator("#run-status").inner_text() == "succeeded"  # the header's badge, swapped out of band
    shot(page, "optimize-run")
