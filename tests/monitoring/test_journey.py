"""The loop through real parts: gateway traffic on two variants (each its own mock upstream), a judge scoring every
trace, a monitor comparing the canary with the main variant, and its alert POSTed to a webhook receiver."""

from __future__ import annotations

import datetime as dt
import time

import httpx

from genloop.deployments import DeploymentService
from genloop.monitoring import EvaluatorService, MonitoringWorker, MonitorService
from genloop.providers import MockProvider
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store, utcnow
from genloop.tracing import TraceService

from .test_alerts import Receiver


def _judge(request) -> str:  # type: ignore[no-untyped-def]
    """A judge that finds the canary's answers worse."""
    shown = " ".join(str(m.get("content") if isinstance(m, dict) else m.content) for m in request.messages)
    return '{"reasoning": "r", "score": 2}' if "canary answer" in shown else '{"reasoning": "r", "score": 5}'


def test_gateway_traffic_is_judged_and_a_worse_canary_alerts(store: Store) -> None:
    from genloop.gateway import create_gateway_app

    receiver = Receiver()
    with MockUpstreamServer(reply="main answer") as main, MockUpstreamServer(reply="canary answer") as canary, \
            receiver.server:
        DeploymentService(store).create("bot", variants=[
            {"name": "main", "model": "openai:mock-model", "base_url": main.url + "/v1", "weight": 1},
            {"name": "canary", "model": "openai:mock-model", "base_url": canary.url + "/v1", "weight": 1}])
        EvaluatorService(store).create({"name": "helpful", "deployment": "bot", "judge": {"model": "mock:judge"},
                                        "sample_rate": 1.0, "delay_s": 0})
        monitors = MonitorService(store)
        monitors.create({
            "name": "canary-vs-main", "signal": "feedback_mean:helpful", "deployment": "bot", "variant": "canary",
            "baseline_variant": "main", "direction": "below", "alert": -0.5, "min_count": 3, "window_s": 600,
            "webhooks": [{"url": receiver.server.url + "/hook", "format": "slack"}]})
        settings = Settings(**{**store.settings.model_dump(), "trace_writer": "thread", "trace_flush_interval": 0.05})
        with BackgroundServer(create_gateway_app(store, settings)) as gw, httpx.Client(base_url=gw.url) as http:
            for i in range(24):
                answer = http.post("/v1/chat/completions", json={"model": "bot", "user": f"u{i}", "messages": [
                    {"role": "user", "content": f"question {i}"}]})
                assert answer.status_code == 200
        deadline = time.monotonic() + 10
        while TraceService(store).list(limit=50).total < 24 and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = MonitoringWorker(store, providers={"mock": MockProvider(reply=_judge)},
                                  clock=lambda: utcnow() + dt.timedelta(seconds=10))
        report = worker.tick()
        assert report.scored == 24 and report.evaluator_errors == {}
        assert (report.alerts, report.delivered) == (1, 1)
    [alert] = monitors.alerts()
    assert alert.level == "alert" and alert.value == -3.0
    assert "canary-vs-main" in receiver.received[0]["text"]
    points = EvaluatorService(store).scores("helpful")
    assert {(p.variant, p.mean) for p in points} == {("main", 5.0), ("canary", 2.0)}
