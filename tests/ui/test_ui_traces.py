"""Browser journeys of Studio part B: find a trace by text and add feedback; open a comparison of two
evaluation runs and filter it to regressions; a deployment's traffic charts. No console errors; a
screenshot of each page."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from genloop.datasets import DatasetService
from genloop.deployments import DeploymentService
from genloop.evals import EvalService
from genloop.feedback import FeedbackService
from genloop.server import BackgroundServer
from genloop.store import Store
from genloop.tracing import TraceService, new_trace_id
from ui.conftest import shot

TOPICS = ["penguins in Antarctica", "the weather in Lisbon", "a refund for order 1234", "resetting a password"]


@pytest.fixture
def traffic(ui_store: Store) -> list[dict]:
    """A deployment with two variants and a day of traces (some blocked by a guardrail, some in sessions)."""
    DeploymentService(ui_store, "demo").create("support", variants=[{"name": "a", "model": "mock:echo", "weight": 3},
                                                                    {"name": "b", "model": "mock:echo"}],
                                               fallbacks=[{"name": "backup", "model": "mock:echo"}])
    now = time.time()
    records = []
    for i in range(240):
        topic = TOPICS[i % 4]
        records.append({
            "id": new_trace_id(), "deployment": "support", "variant": "a" if i % 4 else "b", "model": "mock:echo",
            "status": "error" if i % 17 == 0 else "ok", "user": f"user{i % 9}", "session_id": f"chat-{i // 6}",
            "input": [{"role": "system", "content": "You are a helpful support agent."},
                      {"role": "user", "content": f"Tell me about {topic} (#{i})"}],
            "output": f"Here is what I know about {topic}. <script>alert('x')</script>",
            "guardrails": [{"check": "pii", "action": "redact", "stage": "input", "evidence": "order 1234"}]
            if "order" in topic else None,
            "latency_ms": 40 + (i * 37) % 300, "input_tokens": 20 + i % 30, "output_tokens": 40 + i % 50,
            "cost_usd": 0.0002, "started_at": now - (240 - i) * 300,
            "spans": [{"span_id": f"{i:08x}{j:08x}", "name": name, "started_at": now - (240 - i) * 300 + j * 0.01,
                       "duration_ms": d} for j, (name, d) in enumerate([("guardrails.input", 2.0),
                                                                          ("upstream mock:echo", 35.0),
                                                                          ("guardrails.output", 1.5)])]})
    TraceService(ui_store, "demo").record(records)
    for r in records[::10]:
        FeedbackService(ui_store, "demo").create(r["id"], value=0.8 if r["variant"] == "a" else 0.4)
    return records


def test_find_a_trace_by_text_and_add_feedback(page: Any, live: BackgroundServer, traffic: list[dict],
                                               ui_store: Store) -> None:
    page.goto(live.url + "/projects/demo/traces")
    assert page.locator("#traces tbody tr").count() == 50
    shot(page, "traces")
    page.keyboard.press("/")
    page.keyboard.type("penguins #200")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=penguins"))
    page.wait_for_function("document.querySelectorAll('#traces tbody tr').length === 1")
    assert "penguins in Antarctica (#200)" in page.locator("#traces").inner_text()
    page.click("#traces tbody tr a")
    page.wait_for_selector(".waterfall .wf-bar")
    assert page.locator(".waterfall .wf-bar").count() == 3
    assert "<script>alert('x')</script>" in page.locator("#conversation").inner_text()  # shown as text
    page.fill("#feedback-form input[name=value]", "yes")
    page.fill("#feedback-form input[name=comment]", "clear and correct")
    page.click("#feedback-form button")
    page.wait_for_selector("#feedback-table >> text=clear and correct")
    shot(page, "trace")
    trace_id = traffic[200]["id"]
    found = [f for f in FeedbackService(ui_store, "demo").list().items if f.trace_id == trace_id and f.source == "human"]
    assert [(f.value, f.comment, f.source) for f in found] == [(True, "clear and correct", "human")]
    page.goto(live.url + "/projects/demo/traces?guardrail=redact&variant=a")
    assert page.locator("#traces tbody tr").count() == 50 and "redact" in page.locator("#traces").inner_text()
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"cursor="))
    assert page.locator("#traces tbody tr").count() == 10
    page.goto(live.url + "/projects/demo/traces/sessions")
    shot(page, "trace-sessions")


def test_open_a_comparison_and_filter_to_regressions(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    rows = [{"id": f"q{i}", "question": f"What is {i} plus {i}?", "reference": str(2 * i),
             "base": str(2 * i) if i % 3 else f"I think {2 * i + 1}", "tuned": f"The answer is {2 * i}" if i % 4 == 0
             else str(2 * i)} for i in range(40)]
    DatasetService(ui_store, "demo").create("sums", rows, kind="generic")
    spec = {"dataset": "sums@1", "id_column": "id", "input_column": "question",
            "metrics": ["exact_match", "token_f1"], "gates": ["exact_match >= 0.7"]}
    evals = EvalService(ui_store, "demo")
    base = evals.run({**spec, "name": "base", "candidates": [{"name": "bot", "output_column": "base"}]})
    tuned = evals.run({**spec, "name": "tuned", "candidates": [{"name": "bot", "output_column": "tuned"}]})
    page.goto(live.url + "/projects/demo/evals")
    assert page.locator("#eval-runs tbody tr").count() == 2
    shot(page, "evals")
    page.select_option("select[name=a]", base.run_id)
    page.select_option("select[name=b]", tuned.run_id)
    page.click("#compare-form button")
    page.wait_for_selector("#paired tbody tr")  # the paired tests load after the page opens
    assert "exact_match" in page.locator("#paired").inner_text()
    page.select_option("select[name=metric]", "exact_match")
    page.wait_for_url(re.compile(r"metric=exact_match"))
    page.select_option("select[name=show]", "regressions")
    page.wait_for_url(re.compile(r"show=regressions"))
    page.wait_for_function("document.querySelectorAll('.cmp-item').length === 6")
    outcomes = page.locator(".cmp-item").evaluate_all("els => els.map(e => e.dataset.outcome)")
    assert set(outcomes) == {"loss"}  # i % 4 == 0 but not i % 3 == 0: base right, tuned wordy
    assert page.locator(".cmp-item .word-diff ins").count() >= 6
    shot(page, "eval-compare-regressions")
    page.goto(live.url + f"/projects/demo/evals/{tuned.run_id}?show=worst&metric=exact_match")
    shot(page, "eval-run")


def test_deployment_traffic_charts(page: Any, live: BackgroundServer, traffic: list[dict]) -> None:
    page.goto(live.url + "/projects/demo/deployments")
    assert "support" in page.locator("#deployments").inner_text()
    page.click("#deployments a:has-text('support')")
    page.wait_for_selector("#traffic-charts .uplot canvas")
    assert page.locator("#traffic-charts .chart").count() == 8
    assert page.locator("#traffic-totals tbody tr").count() == 2
    shot(page, "deployment")
    page.click("a:has-text('1h')")
    page.wait_for_url(re.compile(r"window=1h"))
