"""Prometheus metrics of one gateway process, served at ``/metrics``.

The hot path only adds to plain dicts (a few microseconds a request); a custom collector turns them
into Prometheus families when scraped. Label values are deployment and variant names the gateway
knows; requests for unknown models count under ``deployment="unknown"`` so callers cannot grow them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "GatewayMetrics"]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

_COUNTERS = {
    "requests": ("genloop_gateway_requests", "Requests answered, by outcome", ("deployment", "variant", "status")),
    "tokens": ("genloop_gateway_tokens", "Tokens, by direction", ("deployment", "variant", "direction")),
    "cost": ("genloop_gateway_cost_usd", "Spend in USD (priced models only)", ("deployment", "variant")),
    "errors": ("genloop_gateway_errors", "Errors answered, by type and status", ("deployment", "type", "status")),
    "guardrails": ("genloop_gateway_guardrail_actions", "Guardrail findings acted on",
                   ("deployment", "check", "action", "stage")),
    "cache": ("genloop_gateway_cache_lookups", "Response cache lookups", ("deployment", "result")),
    "upstream_failures": ("genloop_gateway_upstream_failures", "Failed upstream attempts",
                          ("deployment", "variant", "kind")),
    "shed": ("genloop_gateway_shed", "Requests refused to protect the gateway", ("reason",)),
}
_HISTOGRAMS = {
    "latency": ("genloop_gateway_request_duration_seconds", "Time to the complete answer"),
    "ttft": ("genloop_gateway_time_to_first_token_seconds", "Time to the first streamed token"),
}


class _Histogram:
    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, value)] += 1
        self.total += value


class GatewayMetrics:
    """Counters and histograms by deployment and variant; ``render()`` is the /metrics body."""

    def __init__(self, pending: Callable[[], float] | None = None,
                 dead_lettered: Callable[[], float] | None = None) -> None:
        self.counters: dict[str, dict[tuple[str, ...], float]] = {name: {} for name in _COUNTERS}
        self.histograms: dict[str, dict[tuple[str, str], _Histogram]] = {name: {} for name in _HISTOGRAMS}
        self.in_flight = 0
        self._pending = pending
        self._dead_lettered = dead_lettered
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)  # type: ignore[arg-type]

    def add(self, counter: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        table = self.counters[counter]
        table[labels] = table.get(labels, 0.0) + amount

    def _observe(self, name: str, labels: tuple[str, str], seconds: float) -> None:
        table = self.histograms[name]
        hist = table.get(labels)
        if hist is None:
            hist = table[labels] = _Histogram()
        hist.observe(seconds)

    def observe(self, rec: dict[str, Any]) -> None:
        """Count one finished request from its trace record."""
        deployment = rec.get("deployment") or "unknown"
        variant = rec.get("variant") or ""
        status = rec.get("status") or "ok"
        pair = (deployment, variant)
        self.add("requests", (deployment, variant, status))
        if rec.get("latency_ms") is not None:
            self._observe("latency", pair, rec["latency_ms"] / 1000)
        if rec.get("ttft_ms") is not None:
            self._observe("ttft", pair, rec["ttft_ms"] / 1000)
        if rec.get("input_tokens"):
            self.add("tokens", (deployment, variant, "input"), rec["input_tokens"])
        if rec.get("output_tokens"):
            self.add("tokens", (deployment, variant, "output"), rec["output_tokens"])
        if rec.get("cost_usd"):
            self.add("cost", pair, rec["cost_usd"])
        if status != "ok":
            self.add("errors", (deployment, rec.get("error_type") or status, str(rec.get("http_status") or "")))
        for finding in rec.get("guardrails") or ():
            self.add("guardrails", (deployment, str(finding.get("check")), str(finding.get("action")),
                                    str(finding.get("stage"))))

    def cache_lookup(self, deployment: str, hit: bool) -> None:
        self.add("cache", (deployment, "hit" if hit else "miss"))

    def collect(self) -> Iterator[Any]:
        """The Prometheus collector interface (called at scrape time, never on the hot path)."""
        for key, (name, doc, labels) in _COUNTERS.items():
            family = CounterMetricFamily(name, doc, labels=list(labels))
            for values, amount in list(self.counters[key].items()):
                family.add_metric(list(values), amount)
            yield family
        for key, (name, doc) in _HISTOGRAMS.items():
            family = HistogramMetricFamily(name, doc, labels=["deployment", "variant"])
            for values, hist in list(self.histograms[key].items()):
                cumulative, running = [], 0
                for bound, count in zip((*map(str, BUCKETS), "+Inf"), hist.counts, strict=True):
                    running += count
                    cumulative.append((bound, running))
                family.add_metric(list(values), cumulative, hist.total)
            yield family
        yield GaugeMetricFamily("genloop_gateway_in_flight", "Requests being handled now", value=self.in_flight)
        if self._pending is not None:
            yield GaugeMetricFamily("genloop_gateway_traces_pending", "Traces not yet committed to the store",
                                    value=self._pending())
        if self._dead_lettered is not None:
            yield CounterMetricFamily("genloop_gateway_traces_dead_lettered", "Traces the store refused, kept in "
                                      "the spool's dead-letter.jsonl", value=self._dead_lettered())

    def render(self) -> bytes:
        return generate_latest(self.registry)
