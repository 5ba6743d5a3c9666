"""Metrics by name: the built-ins, a registry filled through the ``register_metrics`` hook, and specs.

A spec is what an eval spec lists under ``metrics``:

* a name: ``"rouge_l"``, or a call with literal keyword arguments: ``"rouge(variant='rouge2', stemmer=True)"``;
* a mapping: ``{"name": "regex", "pattern": "^\\d+$"}``, or ``{"metric": "rouge", "name": "r2", ...}`` to
  register-name the metric with ``metric`` and label it ``name`` in results (two variants of one metric);
* a :class:`Metric` object, used as it is.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from genloop.errors import Conflict, InvalidInput
from genloop.evals.metrics._base import Metric, metric
from genloop.evals.metrics._overlap import Bleu, Chrf, Rouge
from genloop.evals.metrics._recorded import Cost, Latency, Tokens
from genloop.evals.metrics._retrieval import HitRate, Mrr, Ndcg, PrecisionAtK, RecallAtK, ToolCalls
from genloop.evals.metrics._structured import JsonSchema, JsonValid
from genloop.evals.metrics._text import Contains, ExactMatch, Length, Regex, TokenF1

__all__ = ["MetricRegistry", "builtin_metrics", "default_registry", "get_metric", "parse_metric_spec"]

MetricSpec = str | Mapping[str, Any] | Metric


def builtin_metrics() -> list[Metric]:
    """A fresh list of the built-in metrics with their default parameters, plus the ROUGE shorthands
    ``rouge_1``, ``rouge_2``, ``rouge_l`` and ``rouge_lsum``."""
    return [
        ExactMatch(), TokenF1(), Contains(), Regex(), Length(), JsonValid(), JsonSchema(),
        Bleu(), Chrf(), Rouge(),
        Rouge(name="rouge_1", variant="rouge1"), Rouge(name="rouge_2", variant="rouge2"),
        Rouge(name="rouge_l", variant="rougeL"), Rouge(name="rouge_lsum", variant="rougeLsum"),
        Latency(), Tokens(), Cost(),
        HitRate(), RecallAtK(), PrecisionAtK(), Mrr(), Ndcg(), ToolCalls(),
    ]


def parse_metric_spec(spec: str | Mapping[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """``(registered name, label or None, parameters)`` of a spec; InvalidInput when it is malformed."""
    if isinstance(spec, Mapping):
        params = dict(spec)
        label = None
        if "metric" in params:
            registered = params.pop("metric")
            label = params.pop("name", None)
        else:
            registered = params.pop("name", None)
        if not isinstance(registered, str) or not registered:
            raise InvalidInput(f"metric spec {dict(spec)!r} has no 'name'", hint='e.g. {"name": "rouge_l"}')
        return registered, label, params
    if not isinstance(spec, str):
        raise InvalidInput(f"a metric spec is a name, a mapping or a Metric, not {type(spec).__name__}")
    text = spec.strip()
    if "(" not in text:
        return text, None, {}
    try:
        call = ast.parse(text, mode="eval").body
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.args:
            raise ValueError("expected name(keyword=value, ...)")
        params = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg is not None}
        if len(params) != len(call.keywords):
            raise ValueError("** arguments are not allowed")
    except (SyntaxError, ValueError) as exc:
        raise InvalidInput(f"metric spec {spec!r} is not name(keyword=literal, ...): {exc}",
                           hint="e.g. rouge(variant='rouge2', stemmer=True)") from exc
    return call.func.id, None, params


class MetricRegistry:
    """Metrics by name. ``register`` takes a Metric object or a plain function (wrapped with ``@metric``)."""

    def __init__(self, metrics: Iterable[Metric | Callable[..., Any]] = ()) -> None:
        self._metrics: dict[str, Metric] = {}
        for item in metrics:
            self.register(item)

    def register(self, item: Metric | Callable[..., Any], *, name: str | None = None) -> Metric:
        """Add a metric under ``name`` (default its own); Conflict when another metric has that name."""
        found = item if isinstance(item, Metric) else metric(item)
        if name is not None and name != found.name:
            found = found._with(name, found.params)
        existing = self._metrics.setdefault(found.name, found)
        if existing is not found and not _same(existing, found):
            raise Conflict(f"two metrics are registered as {found.name!r}: {existing!r} and {found!r}",
                           hint="rename one (register(metric, name=...)) or uninstall the plugin that adds it")
        return existing

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._metrics)

    def __contains__(self, name: object) -> bool:
        return name in self._metrics

    def __iter__(self) -> Any:
        return iter(self._metrics.values())

    def get(self, spec: MetricSpec) -> Metric:
        """The metric a spec describes, configured with its parameters (see the module docstring)."""
        if isinstance(spec, Metric):
            return spec
        registered, label, params = parse_metric_spec(spec)
        base = self._metrics.get(registered)
        if base is None:
            raise InvalidInput(f"unknown metric {registered!r}; known metrics: {', '.join(self.names())}",
                               hint="list them with: genloop eval metrics; plugins add more (register_metrics)")
        found = base.configure(**params)
        return found.renamed(label) if label is not None else found


def _same(a: Metric, b: Metric) -> bool:
    """The same metric registered twice (a plugin loaded twice): same kind, parameters and function."""
    return type(a) is type(b) and a.spec == b.spec and getattr(a, "fn", None) is getattr(b, "fn", None)


_default: MetricRegistry | None = None
_lock = threading.Lock()


def default_registry(*, refresh: bool = False) -> MetricRegistry:
    """The process-wide registry: everything the ``register_metrics`` hook registers (the built-ins come
    through that hook too, from ``genloop.evals._plugin``); built once, again with ``refresh``."""
    global _default
    with _lock:
        if _default is None or refresh:
            from genloop import plugins

            registry = MetricRegistry()
            for args, kwargs in plugins.collect("metrics"):
                registry.register(*args, **kwargs)
            _default = registry
        return _default


def get_metric(spec: MetricSpec, registry: MetricRegistry | None = None) -> Metric:
    """The metric for ``spec`` from ``registry`` (default: built-ins and plugins); an unknown name is
    :class:`~genloop.errors.InvalidInput` listing the known ones."""
    return (registry or default_registry()).get(spec)
