"""Prometheus metrics of one gateway process (its own registry, served at ``/metrics``).

Label values are deployment and variant names the gateway knows; requests for unknown models count
under ``deployment="unknown"`` so a caller cannot grow the label space.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "GatewayMetrics"]

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class GatewayMetrics:
    """Counters and histograms by deployment and variant; label children are cached for the hot path."""

    def __init__(self, pending: Callable[[], float] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("genloop_gateway_requests", "Requests answered, by outcome",
                                ["deployment", "variant", "status"], registry=r)
        self.latency = Histogram("genloop_gateway_request_duration_seconds", "Time to the complete answer",
                                 ["deployment", "variant"], buckets=_LATENCY, registry=r)
        self.ttft = Histogram("genloop_gateway_time_to_first_token_seconds", "Time to the first streamed token",
                              ["deployment", "variant"], buckets=_LATENCY, registry=r)
        self.tokens = Counter("genloop_gateway_tokens", "Tokens, by direction",
                              ["deployment", "variant", "direction"], registry=r)
        self.cost = Counter("genloop_gateway_cost_usd", "Spend in USD (priced models only)",
                            ["deployment", "variant"], registry=r)
        self.errors = Counter("genloop_gateway_errors", "Errors answered, by type and status",
                              ["deployment", "type", "status"], registry=r)
        self.guardrails = Counter("genloop_gateway_guardrail_actions", "Guardrail findings acted on",
                                  ["deployment", "check", "action", "stage"], registry=r)
        self.cache = Counter("genloop_gateway_cache_lookups", "Response cache lookups",
                             ["deployment", "result"], registry=r)
        self.upstream_failures = Counter("genloop_gateway_upstream_failures", "Failed upstream attempts",
                                         ["deployment", "variant", "kind"], registry=r)
        self.fallbacks = Counter("genloop_gateway_fallbacks", "Requests answered by a fallback",
                                 ["deployment", "variant"], registry=r)
        self.shed = Counter("genloop_gateway_shed", "Requests refused to protect the gateway", ["reason"], registry=r)
        self.in_flight = Gauge("genloop_gateway_in_flight", "Requests being handled now", registry=r)
        if pending is not None:
            Gauge("genloop_gateway_traces_pending", "Traces not yet committed to the store",
                  registry=r).set_function(pending)
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe(self, rec: dict[str, Any]) -> None:
        """Count one finished request from its trace record."""
        deployment = rec.get("deployment") or "unknown"
        variant = rec.get("variant") or ""
        status = rec.get("status") or "ok"
        self._child(self.requests, deployment, variant, status).inc()
        if rec.get("latency_ms") is not None:
            self._child(self.latency, deployment, variant).observe(rec["latency_ms"] / 1000)
        if rec.get("ttft_ms") is not None:
            self._child(self.ttft, deployment, variant).observe(rec["ttft_ms"] / 1000)
        if rec.get("input_tokens"):
            self._child(self.tokens, deployment, variant, "input").inc(rec["input_tokens"])
        if rec.get("output_tokens"):
            self._child(self.tokens, deployment, variant, "output").inc(rec["output_tokens"])
        if rec.get("cost_usd"):
            self._child(self.cost, deployment, variant).inc(rec["cost_usd"])
        if status != "ok":
            self._child(self.errors, deployment, rec.get("error_type") or status,
                        str(rec.get("http_status") or "")).inc()
        for finding in rec.get("guardrails") or ():
            self._child(self.guardrails, deployment, str(finding.get("check")), str(finding.get("action")),
                        str(finding.get("stage"))).inc()

    def cache_lookup(self, deployment: str, hit: bool) -> None:
        self._child(self.cache, deployment, "hit" if hit else "miss").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
