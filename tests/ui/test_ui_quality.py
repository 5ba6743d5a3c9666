"""Browser journey (Playwright on Debian's Chromium, the real server on loopback): profile a version and read
its histograms, map its prompts, lasso a group of points and save them as a new dataset version."""

from __future__ import annotations

from typing import Any

import pytest

from genloop.datasets import DatasetService
from genloop.server import BackgroundServer
from genloop.store import Store
from ui.conftest import shot

TOPICS = ["reset my password", "get a refund for my order", "change the delivery address"]


@pytest.mark.slow
def test_profile_then_lasso_prompts_into_a_dataset(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    rows = [{"messages": [{"role": "user", "content": f"How do I {TOPICS[i % 3]}? (ticket {i})"},
                          {"role": "assistant", "content": "Here is how."}]} for i in range(90)]
    DatasetService(ui_store, "demo").create("tickets", rows, kind="chat")

    page.goto(f"{live.url}/projects/demo/datasets/tickets/1")
    page.get_by_role("link", name="Profile").click()
    page.get_by_role("button", name="Profile this version").click()
    page.wait_for_selector("#histograms .chart canvas")
    assert page.locator("#histograms .chart").count() >= 3
    assert "90" in page.locator("#summary").inner_text()
    shot(page, "quality-profile")

    page.goto(f"{live.url}/projects/demo/quality/map")
    page.get_by_label("dataset version").fill("tickets@1")
    page.get_by_role("button", name="Map prompts").click()
    canvas = page.locator("canvas#map")
    canvas.wait_for()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    page.mouse.down()
    for x, y in ((box["width"] - 2, 2), (box["width"] - 2, box["height"] - 2), (2, box["height"] - 2), (2, 3)):
        page.mouse.move(box["x"] + x, box["y"] + y, steps=5)
    page.mouse.up()
    assert page.locator("#selected-count").inner_text() == "90"  # a lasso around the whole map takes every point
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    shot(page, "quality-map")
    page.get_by_label("new dataset name").fill("all-tickets")
    page.get_by_role("button", name="Save selection as a dataset version").click()
    page.wait_for_url("**/datasets/all-tickets/1")
    saved = DatasetService(ui_store, "demo").get("all-tickets")
    assert saved.num_rows == 90 and saved.kind == "eval"
