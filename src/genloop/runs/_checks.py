"""Checks on what callers log to a run, so bad values fail with a message before anything is written."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from genloop.errors import InvalidInput

__all__ = ["check_json", "check_key", "check_metrics", "check_points", "check_step"]

_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./:-]{0,127}$")
KEY_RULE = "1-128 characters of letters, digits, '_', '.', '/', ':' or '-'"
_MAX_STEP = 2**63 - 1  # steps are 64-bit integers in the store


def check_json(value: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """A JSON-safe copy of a dict of params or summary values."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a mapping of names to values, got {type(value).__name__}")
    try:
        return json.loads(json.dumps(value, allow_nan=False))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} is not JSON-serialisable: {exc}",
                           hint="use strings, finite numbers, booleans, lists and mappings") from exc


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{what} must be finite, got {value!r}", hint="log NaN or infinity as a string param")
    return number


def check_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Metric names and finite numeric values."""
    if not isinstance(metrics, dict) or not metrics:
        raise InvalidInput("metrics must be a non-empty mapping of names to numbers", hint="e.g. {'loss': 0.42}")
    return {check_key(key): _number(value, f"metric {key!r}") for key, value in metrics.items()}


def check_key(key: Any) -> str:
    """A metric or series name (any value: a non-string from a JSON body is refused, not hashed)."""
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise InvalidInput(f"invalid metric name {key!r}", hint=f"use {KEY_RULE}")
    return key


def check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= _MAX_STEP:
        raise InvalidInput(f"step must be an integer >= 0 and <= {_MAX_STEP}, got {step!r}")
    return step


def check_points(points: Iterable[Any]) -> list[tuple[int, float]]:
    """``(step, value)`` pairs from tuples, ``{"step", "value"}`` mappings or :class:`MetricPoint` objects."""
    out = []
    for i, point in enumerate(points):
        if isinstance(point, dict):
            step, value = point.get("step"), point.get("value")
        elif hasattr(point, "step") and hasattr(point, "value"):
            step, value = point.step, point.value
        elif isinstance(point, (tuple, list)) and len(point) == 2:
            step, value = point
        else:
            raise InvalidInput(f"series point {i} is {point!r}", hint="give (step, value) pairs")
        out.append((check_step(step), _number(value, f"series point {i} value")))
    return out
