"""A tour of every Studio page of part A with no console errors, a screenshot of each, and the dataset
journey: search the rows (an htmx swap that keeps its own URL), split the version."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from genloop.datasets import DatasetService
from genloop.deployments import DeploymentService
from genloop.models import ModelService
from genloop.prompts import PromptService
from genloop.runs import RunService
from genloop.server import BackgroundServer
from genloop.store import Store
from ui.conftest import shot


@pytest.fixture
def filled(ui_store: Store, tmp_path: Path) -> dict[str, str]:
    """A project with a dataset, prompts, a deployment, a tune run with a loss curve, models and an eval run."""
    datasets = DatasetService(ui_store, "demo", actor="ana")
    datasets.create("dates", [{"prompt": f"When is day {i}?", "completion": f"2024-01-{i % 28 + 1:02d}"}
                              for i in range(300)], message="first cut", tags=["golden"])
    prompts = PromptService(ui_store, "demo", actor="ana")
    prompts.create_from_yaml("dates", "messages:\n  - role: user\n    content: '{{ prompt }}'\nmodel: mock:echo\n")
    prompts.label("dates@1", "production")
    DeploymentService(ui_store, "demo").create("dates-bot", variants=[{"name": "main", "prompt": "dates@production",
                                                                       "model": "mock:echo"}])
    models = ModelService(ui_store, "demo", actor="ana")
    (tmp_path / "base").mkdir()
    models.register("tiny", kind="checkpoint", uri=str(tmp_path / "base"), description="pre-trained base")
    runs = RunService(ui_store, "demo", actor="ana")
    tune = runs.start("tune", name="lora r=8", params={"lr": 2e-4, "rank": 8}, inputs=["dataset:dates@1", "model:tiny@1"])
    runs.log_series(tune.id, "train/loss", [(s, 2.5 * 0.97 ** s + 0.1) for s in range(200)])
    runs.log_series(tune.id, "eval/loss", [(s * 20, 2.4 * 0.96 ** (s * 20) + 0.2) for s in range(10)])
    runs.log_metrics(tune.id, {"eval_loss": 0.21})
    (tmp_path / "adapter").mkdir()
    comparison = {"exact_match": {"base": 0.05, "tuned": 0.82, "delta": 0.77, "ci_low": 0.68, "ci_high": 0.85,
                                  "p_value": 1e-9, "significant": True, "wins": 31, "ties": 9, "losses": 0},
                  "chrf": {"base": 0.41, "tuned": 0.93, "delta": 0.52, "ci_low": 0.47, "ci_high": 0.57,
                           "p_value": 1e-8, "significant": True, "wins": 38, "ties": 2, "losses": 0}}
    models.register("tiny-dates", kind="adapter", uri=str(tmp_path / "adapter"), base="tiny@1", source_run_id=tune.id,
                    description="LoRA r=8 of tiny@1 on dates@1", metadata={"evaluation": {"comparison": comparison}})
    runs.add_output(tune.id, "model:tiny-dates@1")
    runs.finish(tune.id)
    ModelService(ui_store, "demo", actor="ana").set_status("tiny-dates@1", "approved", reason="beats the base")
    ModelService(ui_store, "demo").alias("tiny-dates@1", "champion")
    ev = runs.start("eval", name="tuned vs base", inputs=["model:tiny-dates@1", "dataset:dates@1"])
    runs.log_metrics(ev.id, {"exact_match": 0.82, "exact_match.ci_low": 0.77, "exact_match.ci_high": 0.86})
    runs.finish(ev.id)
    return {"tune": tune.id}


def test_every_page_renders_without_console_errors(page: Any, live: BackgroundServer, filled: dict[str, str]) -> None:
    pages = {
        "home": "/",
        "project-overview": "/projects/demo",
        "datasets": "/projects/demo/datasets",
        "dataset-versions": "/projects/demo/datasets/dates",
        "dataset-version": "/projects/demo/datasets/dates/1",
        "dataset-upload": "/projects/demo/datasets-new",
        "prompt-new": "/projects/demo/prompts-new",
        "models": "/projects/demo/models",
        "model-versions": "/projects/demo/models/tiny-dates",
        "model-version": "/projects/demo/models/tiny-dates/1",
        "runs": "/projects/demo/runs",
        "run": f"/projects/demo/runs/{filled['tune']}",
        "lineage": "/projects/demo/lineage?ref=model:tiny-dates@1",
        "audit-log": "/projects/demo/audit",
    }
    for name, path in pages.items():
        page.goto(live.url + path)
        assert page.locator("header.topbar").count() == 1, name
        assert page.locator(".error-page").count() == 0, name
        shot(page, name)
    page.goto(live.url + f"/projects/demo/runs/{filled['tune']}")
    page.wait_for_selector("#charts .uplot canvas")
    assert page.locator("#charts .chart").count() == 2
    page.goto(live.url + "/projects/demo/models/tiny-dates/1")
    assert page.locator("svg.lineage .node").count() == 4
    assert "31 / 9 / 0" in page.locator("#comparison").inner_text()


def test_search_rows_and_split(page: Any, live: BackgroundServer, filled: dict[str, str], ui_store: Store) -> None:
    page.goto(live.url + "/projects/demo/datasets/dates/1")
    page.keyboard.press("/")
    page.keyboard.type("day 137")
    page.wait_for_url(re.compile(r"q=day(\+|%20)137"))
    page.wait_for_function("document.querySelectorAll('#rows tbody tr').length === 1")
    assert "When is day 137?" in page.locator("#rows").inner_text()
    shot(page, "dataset-search")
    page.reload()  # the filtered list is a page of its own
    assert page.locator("#rows tbody tr").count() == 1
    page.click("summary:has-text('Split')")
    page.fill("input[name=test_size]", "0.1")
    page.click("button:has-text('Split')")
    page.wait_for_url("**/datasets/dates-train/1")
    assert DatasetService(ui_store, "demo").get("dates-test").num_rows == 30


def test_model_lifecycle_by_hand(page: Any, live: BackgroundServer, filled: dict[str, str], ui_store: Store) -> None:
    page.goto(live.url + "/projects/demo/models/tiny/1")
    page.fill("#status-form input[name=reason]", "looked at the samples")
    page.click("#status-form button:has-text('Mark reviewed')")
    page.wait_for_selector("#history >> text=looked at the samples")
    assert ModelService(ui_store, "demo").get("tiny@1").status == "reviewed"
    assert page.locator("#status-form button:has-text('Mark reviewed')").count() == 0
    shot(page, "model-reviewed")


def test_upload_a_version(page: Any, live: BackgroundServer, ui_store: Store, tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"q": "one", "a": "1"}\n{"q": "two", "a": "2"}\n')
    page.goto(live.url + "/projects/demo/datasets-new")
    page.fill("#ds-name", "uploaded")
    page.set_input_files("#ds-file", str(data))
    page.fill("#ds-message", "from the browser")
    page.click("button:has-text('Upload')")
    page.wait_for_url("**/datasets/uploaded/1")
    version = DatasetService(ui_store, "demo").get("uploaded@1")
    assert version.num_rows == 2 and version.message == "from the browser"
    assert page.locator("#rows tbody tr").count() == 2


def test_create_a_prompt_from_scratch(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    page.goto(live.url + "/projects/demo/prompts-new")
    page.fill("input[name=name]", "greet-v2")
    page.fill("input[name=message]", "first")
    page.click("button:has-text('Create version')")
    page.wait_for_url("**/prompts/greet-v2/versions/1")
    assert PromptService(ui_store, "demo").get("greet-v2").variables == ["question"]


@pytest.mark.parametrize("width", [1000, 1400])
def test_every_section_link_is_on_screen(page: Any, live: BackgroundServer, filled: dict[str, str], width: int) -> None:
    """The 14 section links wrap to a second row on a narrow screen instead of scrolling out of sight."""
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live.url + "/projects/demo/datasets")
    links = page.locator("nav.sections a")
    assert links.count() == 14
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (links.nth(i).inner_text(), box)
    assert page.locator("nav.sections").evaluate("n => n.scrollWidth <= n.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no horizontal scroll of the page
    shot(page, f"nav-{width}px")
