"""Prometheus /metrics: requests, latency, tokens, errors, guardrail actions and cache hits by deployment
and variant, read back with the Prometheus parser after real traffic."""

from __future__ import annotations

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import mock_variant

POLICY = {"name": "p", "rules": [{"check": "email", "on": "input", "action": "redact"},
                                 {"check": "banned_terms", "on": "input", "action": "block", "terms": ["zeus"]}]}


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_by_deployment_and_variant(upstream, deploy, gateway_factory) -> None:
    deploy("ab", variants=[mock_variant(upstream, name="a"), mock_variant(upstream, name="b")],
           guardrails=POLICY, cache={"enabled": True, "ttl_s": 60})
    with gateway_factory() as gw:
        client = gw.openai()
        by_variant: dict[str, int] = {}
        for i in range(20):
            raw = client.chat.completions.with_raw_response.create(
                model="ab", user=f"u{i}", messages=[{"role": "user", "content": f"question {i}: mail me at x{i}@example.com"}])
            by_variant[raw.headers["x-genloop-variant"]] = by_variant.get(raw.headers["x-genloop-variant"], 0) + 1
        # the same question from another address: the same request once redacted, so a cache hit
        client.chat.completions.create(model="ab", user="u0",
                                       messages=[{"role": "user", "content": "question 0: mail me at y@example.com"}])
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="ab", user="u1", messages=[{"role": "user", "content": "zeus"}])
        with httpx.Client(base_url=gw.url) as http:
            response = http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)

    def value(name: str, **labels: str) -> float:
        return samples.get((name, frozenset(labels.items())), 0.0)

    assert set(by_variant) == {"a", "b"}
    ok = {v: value("genloop_gateway_requests_total", deployment="ab", variant=v, status="ok") for v in ("a", "b")}
    assert sum(ok.values()) == 21 and all(ok[v] >= by_variant[v] for v in by_variant)
    assert sum(value("genloop_gateway_requests_total", deployment="ab", variant=v, status="blocked")
               for v in ("a", "b")) == 1
    for v in ("a", "b"):
        assert value("genloop_gateway_request_duration_seconds_count", deployment="ab", variant=v) == \
            ok[v] + value("genloop_gateway_requests_total", deployment="ab", variant=v, status="blocked")
        assert value("genloop_gateway_tokens_total", deployment="ab", variant=v, direction="input") > 0
    assert value("genloop_gateway_cache_lookups_total", deployment="ab", result="hit") == 1
    assert value("genloop_gateway_cache_lookups_total", deployment="ab", result="miss") == 20
    assert value("genloop_gateway_guardrail_actions_total", deployment="ab", check="email", action="redact",
                 stage="input") == 21
    assert value("genloop_gateway_errors_total", deployment="ab", type="content_filter", status="400") == 1
