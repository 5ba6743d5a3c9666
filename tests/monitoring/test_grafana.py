"""The shipped Grafana dashboard queries only metrics the gateway's /metrics really exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from genloop.deployments import DeploymentService
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "genloop.json"


def _queries() -> list[str]:
    data = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in data["panels"] for t in p["targets"]]
    exprs += [v["query"]["query"] for v in data["templating"]["list"] if isinstance(v.get("query"), dict)]
    return exprs


def test_dashboard_is_well_formed() -> None:
    data = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert data["uid"] == "genloop-gateway" and len({p["id"] for p in data["panels"]}) == len(data["panels"])
    for expr in _queries():
        assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), expr


def test_every_queried_metric_exists_in_the_gateway_metrics(store: Store) -> None:
    from genloop.gateway import create_gateway_app

    with MockUpstreamServer() as upstream:
        DeploymentService(store).create("bot", variants=[{"model": "openai:mock-model",
                                                          "base_url": upstream.url + "/v1"}])
        settings = Settings(**{**store.settings.model_dump(), "trace_flush_interval": 0.05})
        with BackgroundServer(create_gateway_app(store, settings)) as gw, httpx.Client(base_url=gw.url) as http:
            answer = http.post("/v1/chat/completions", json={"model": "bot", "messages": [
                {"role": "user", "content": "hello"}]})
            assert answer.status_code == 200
            text = http.get("/metrics").text
    exposed: set[str] = set()
    for family in text_string_to_metric_families(text):
        exposed.add(family.name)
        exposed.update(s.name for s in family.samples)
        if family.type == "counter":
            exposed.add(family.name + "_total")
        if family.type == "histogram":
            exposed.update(family.name + suffix for suffix in ("_bucket", "_count", "_sum"))
    queried = {name for expr in _queries() for name in re.findall(r"\bgenloop_[a-z0-9_]+", expr)}
    assert queried and queried <= exposed, sorted(queried - exposed)
    assert "genloop_gateway_request_duration_seconds_bucket" in queried
