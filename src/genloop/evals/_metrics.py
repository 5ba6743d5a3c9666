"""Computed metrics in an evaluation: looked up in ``genloop.evals.metrics`` (built-ins, ``@metric``
functions and plugins) by the names or mappings a spec lists, and applied to one output at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from genloop.errors import InvalidInput

__all__ = ["metric_reference", "resolve_metrics", "score_metric"]


def resolve_metrics(specs: Sequence[Any]) -> list[tuple[str, Any]]:
    """``[(name, metric)]`` for a spec's ``metrics`` list; an unknown metric is an :class:`InvalidInput`."""
    if not specs:
        return []
    from genloop.evals.metrics import get_metric

    resolved: list[tuple[str, Any]] = []
    for spec in specs:
        metric = get_metric(spec)
        if metric.name in {n for n, _ in resolved}:
            # in a mapping 'name' alone picks the metric; with 'metric' given, 'name' is the label
            registered = getattr(metric, "origin", None) or metric.name
            raise InvalidInput(f"metric {metric.name!r} is listed twice",
                               hint=f"label the second one: {{metric: {registered}, name: {metric.name}_2, ...}}")
        resolved.append((metric.name, metric))
    return resolved


def metric_reference(reference: Any) -> Any:
    """A reference as metrics take it: a string, a list of strings, or None."""
    if reference is None or isinstance(reference, str):
        return reference
    if isinstance(reference, list | tuple) and all(isinstance(r, str) for r in reference):
        return list(reference)
    import json

    return json.dumps(reference, ensure_ascii=False, default=str)


def score_metric(metric: Any, output: str, reference: Any, item: dict[str, Any]) -> tuple[float | None, dict[str, Any]]:
    """One metric on one output: ``(value, notes)``; a pass/fail-only metric scores 1.0 or 0.0, and ``notes``
    keeps its ``passed``, explanation and details when it gave any. ``item`` is the dataset row with the
    recorded fields on top (``latency_s``, ``input_tokens``, ``output_tokens``, ``cost``), which the
    ``latency``, ``tokens`` and ``cost`` metrics read, as ``json_schema`` reads a row's ``schema``."""
    score = metric.score(output, metric_reference(reference), item)
    value = score.value
    if value is None and score.passed is not None:
        value = 1.0 if score.passed else 0.0
    notes = {k: v for k, v in (("passed", score.passed), ("explanation", score.explanation),
                               ("details", score.details)) if v is not None}
    return (None if value is None else float(value)), notes
