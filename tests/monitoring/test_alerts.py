"""Monitors: SQL series, levels, no data, re-notify, alert history, webhooks (JSON and Slack) with retries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from genloop.errors import InvalidInput
from genloop.monitoring import MonitoringWorker, MonitorService
from genloop.monitoring._alerts import deliver_due, evaluate_monitors
from genloop.server import BackgroundServer
from genloop.store import Store, utcnow

from .conftest import add_traces


class Receiver:
    """A webhook receiver on loopback that records every request, and answers 503 while ``down``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.down = False
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            if self.down:
                return Response(status_code=503)
            self.received.append(await request.json())
            self.headers.append(dict(request.headers))
            return Response(status_code=204)

        self.server = BackgroundServer(app)


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    r = Receiver()
    with r.server:
        yield r


def test_error_rate_fires_notifies_and_resolves(store: Store, receiver: Receiver) -> None:
    add_traces(store, 30, age_s=60)
    add_traces(store, 10, age_s=60, status="error", http_status=502)
    monitors = MonitorService(store)
    url = receiver.server.url + "/hook"
    monitors.create({"name": "errors", "signal": "error_rate", "deployment": "bot", "window_s": 600, "warning": 0.1,
                     "alert": 0.2, "webhooks": [{"url": url}, {"url": url, "format": "slack"}]})
    report = MonitoringWorker(store).tick()
    assert (report.alerts, report.delivered) == (1, 2)
    [alert] = monitors.alerts()
    assert (alert.event, alert.level, alert.value, alert.threshold, alert.count) == ("fired", "alert", 0.25, 0.2, 40)
    generic, slack = receiver.received
    assert generic["level"] == "alert" and generic["monitor"] == "errors" and generic["value"] == 0.25
    assert set(slack) == {"text"} and "errors" in slack["text"] and "ALERT" in slack["text"]
    assert not any("authorization" in h or "x-api-key" in h for h in receiver.headers)  # no server secret
    assert MonitoringWorker(store).tick().alerts == 0  # same level, inside the re-notify interval
    later = utcnow() + dt.timedelta(minutes=15)  # the window has moved past every trace: keep (default)
    assert evaluate_monitors(store, now=later) == (1, 0)
    monitors.create({"name": "errors", "signal": "error_rate", "deployment": "bot", "window_s": 600, "warning": 0.1,
                     "alert": 0.2, "no_data": "ok"}, replace=True)
    evaluate_monitors(store, now=later)
    assert [(a.event, a.level, a.previous) for a in monitors.alerts(since_id=alert.id)] == [("resolved", "ok", "alert")]


def test_renotify_and_no_data_levels(store: Store) -> None:
    monitors = MonitorService(store)
    monitors.create({"name": "quiet", "signal": "requests", "window_s": 60, "direction": "below", "alert": 1,
                     "min_count": 1, "no_data": "alert", "renotify_s": 60})
    now = utcnow()
    evaluate_monitors(store, now=now)
    evaluate_monitors(store, now=now + dt.timedelta(seconds=30))
    evaluate_monitors(store, now=now + dt.timedelta(seconds=61))
    assert [(a.event, a.level) for a in monitors.alerts()] == [("fired", "alert"), ("renotify", "alert")]
    assert monitors.get("quiet").state == "alert"


def test_webhook_down_keeps_the_alert_and_retries_with_backoff(store: Store, receiver: Receiver) -> None:
    add_traces(store, 5, age_s=10, status="error")
    monitors = MonitorService(store)
    monitors.create({"name": "errors", "signal": "error_rate", "alert": 0.5,
                     "webhooks": [{"url": receiver.server.url + "/hook"}]})
    receiver.down = True
    now = utcnow()
    evaluate_monitors(store, now=now)
    assert deliver_due(store, now=now) == (0, 1)
    [alert] = monitors.alerts()
    [delivery] = monitors.deliveries(alert.id)
    assert (delivery.status, delivery.attempts) == ("pending", 1) and "503" in (delivery.last_error or "")
    assert delivery.next_attempt_at >= now + dt.timedelta(seconds=4)
    assert deliver_due(store, now=now) == (0, 0)  # not due yet
    receiver.down = False
    assert deliver_due(store, now=delivery.next_attempt_at) == (1, 0)
    assert monitors.deliveries(alert.id)[0].status == "sent" and receiver.received[0]["alert_id"] == alert.id


def test_unreachable_webhook_is_retried_not_lost(store: Store) -> None:
    add_traces(store, 5, age_s=10, status="error")
    monitors = MonitorService(store)
    monitors.create({"name": "errors", "signal": "error_rate", "alert": 0.5,
                     "webhooks": [{"url": "http://127.0.0.1:9/nothing-listens"}]})
    evaluate_monitors(store)
    assert deliver_due(store) == (0, 1)
    assert monitors.deliveries(monitors.alerts()[0].id)[0].status == "pending"


@pytest.mark.parametrize(("signal", "expected"), [("p95_latency_ms", 118.0), ("requests", 20.0),
                                                  ("rate_limited", 0.0), ("guardrail_hit_rate", 0.0)])
def test_gateway_signals(store: Store, signal: str, expected: float) -> None:
    add_traces(store, 20, age_s=30)  # latencies 100..119 ms
    add_traces(store, 5, age_s=30, deployment="other", latency_ms=5000.0)
    monitors = MonitorService(store)
    monitors.create({"name": "m", "signal": signal, "deployment": "bot", "alert": 1e9})
    assert monitors.evaluate("m").value == pytest.approx(expected)


def test_cost_429_and_feedback_signals(store: Store) -> None:
    from genloop.feedback import FeedbackService

    ids = add_traces(store, 10, age_s=30, cost_usd=0.01)
    add_traces(store, 3, age_s=30, http_status=429, status="error")
    for tid, value in zip(ids[:4], (1, 2, 3, 4), strict=True):
        FeedbackService(store).create(tid, name="helpful", value=value)
    monitors = MonitorService(store)
    monitors.create({"name": "cost", "signal": "cost_per_hour", "window_s": 3600, "alert": 0.05})
    monitors.create({"name": "limited", "signal": "rate_limited", "window_s": 3600, "warning": 2})
    monitors.create({"name": "helpful", "signal": "feedback_mean:helpful", "direction": "below", "alert": 3,
                     "window_s": 3600, "min_count": 4})
    MonitoringWorker(store).tick()
    states = {m.name: (m.state, m.value) for m in monitors.list()}
    assert states["cost"][0] == "alert" and states["cost"][1] == pytest.approx(0.1)
    assert states["limited"] == ("warning", 3.0)
    assert states["helpful"] == ("alert", 2.5)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # refused before any SQL
def test_bad_monitor_specs_are_refused(store: Store) -> None:
    monitors = MonitorService(store)
    with pytest.raises(InvalidInput, match="unknown monitor signal"):
        monitors.create({"name": "m", "signal": "nope", "alert": 1})
    with pytest.raises(InvalidInput, match="warning or an alert"):
        monitors.create({"name": "m", "signal": "requests"})
    with pytest.raises(InvalidInput, match="http"):
        monitors.create({"name": "m", "signal": "requests", "alert": 1, "webhooks": [{"url": "file:///etc/passwd"}]})
    with pytest.raises(InvalidInput, match="credentials"):
        monitors.create({"name": "m", "signal": "requests", "alert": 1,
                         "webhooks": [{"url": "https://user:pw@example.com/x"}]})


def test_a_canary_compared_with_its_baseline_variant(store: Store) -> None:
    from genloop.feedback import FeedbackService

    main = add_traces(store, 10, age_s=30, variants=("main",))
    canary = add_traces(store, 10, age_s=30, variants=("canary",))
    feedback = FeedbackService(store)
    for tid in main:
        feedback.create(tid, name="helpful", value=4.5, source="judge")
    for tid in canary:
        feedback.create(tid, name="helpful", value=3.0, source="judge")
    monitors = MonitorService(store)
    monitors.create({"name": "canary-worse", "signal": "feedback_mean:helpful", "deployment": "bot",
                     "variant": "canary", "baseline_variant": "main", "direction": "below", "alert": -0.5,
                     "min_count": 5})
    info = monitors.evaluate("canary-worse")
    assert info.state == "alert" and info.value == pytest.approx(-1.5)
    assert "minus main's" in monitors.alerts()[0].message
    with pytest.raises(InvalidInput, match="baseline_variant needs"):
        monitors.create({"name": "x", "signal": "requests", "baseline_variant": "main", "alert": 1})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # masking, not SQL
def test_webhook_urls_are_masked_when_shown_and_receiver_bodies_are_not_kept(store: Store) -> None:
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    app = FastAPI()

    @app.post("/internal")
    def internal() -> PlainTextResponse:
        return PlainTextResponse("secret internal body", status_code=400)

    add_traces(store, 3, age_s=10, status="error")
    monitors = MonitorService(store)
    with BackgroundServer(app) as srv:
        info = monitors.create({"name": "e", "signal": "error_rate", "alert": 0.5,
                                "webhooks": [{"url": srv.url + "/internal?token=abc", "format": "slack"}]})
        assert info.spec.webhooks[0].url == srv.url + "/…" and "token" not in info.model_dump_json()
        MonitoringWorker(store).tick()
    [delivery] = monitors.deliveries(monitors.alerts()[0].id)
    assert delivery.last_error == "HTTP 400" and delivery.url == srv.url + "/…"
