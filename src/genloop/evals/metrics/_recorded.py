"""Pass-through metrics: latency, tokens and cost, read from what the item recorded (no computation).

The item is a mapping or an object (an ``EvalItem``); ``field`` may be a dotted path (``usage.total_tokens``).
A missing field gives a None value with an explanation, not an error: cached or logged outputs may lack it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genloop.errors import InvalidInput
from genloop.evals.metrics._base import Metric, Reference, Score

__all__ = ["Cost", "Latency", "Tokens", "recorded_field"]

_MISSING = object()


def recorded_field(item: Any, field: str) -> Any:
    """The value at dotted ``field`` of a mapping or object, or None when any step is missing."""
    value = item
    for part in field.split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        else:
            value = getattr(value, part, _MISSING)
        if value is _MISSING or value is None:
            return None
    return value


class _Recorded(Metric):
    higher_is_better = False
    proportion = False
    field = ""
    unit = ""

    def __init__(self, *, field: str | None = None, max: float | None = None, name: str | None = None) -> None:
        super().__init__(name=name)
        self.field = field or type(self).field
        self.high = max
        self._params(field=field, max=max)

    def _value(self, item: Any) -> tuple[float | None, str]:
        value = recorded_field(item, self.field)
        return self._number(value), self.field

    def _number(self, value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"metric {self.name!r}: recorded {self.field!r} is {value!r}, not a number")
        return float(value)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        value, where = self._value(item if item is not None else {})
        if value is None:
            return Score(explanation=f"the item has no recorded {where!r}")
        passed = None if self.high is None else value <= self.high
        return Score(value=value, passed=passed,
                     explanation=None if passed is not False else f"{value:g}{self.unit} > {self.high:g}{self.unit}")


class Latency(_Recorded):
    """The recorded latency in seconds (``latency_s``); ``passed`` when at most ``max`` if given."""

    name = "latency"
    field = "latency_s"
    unit = " s"


class Cost(_Recorded):
    """The recorded cost in USD (``cost``); ``passed`` when at most ``max`` if given."""

    name = "cost"
    field = "cost"


class Tokens(_Recorded):
    """Recorded tokens: ``which`` is total (input + output), input or output (``input_tokens``,
    ``output_tokens``), or set ``field`` to read one field instead; ``passed`` when at most ``max``."""

    name = "tokens"

    def __init__(self, *, which: str = "total", field: str | None = None, max: float | None = None,
                 name: str | None = None) -> None:
        if which not in ("total", "input", "output"):
            raise InvalidInput(f"metric {name or self.name!r}: which must be total, input or output, not {which!r}")
        super().__init__(field=field, max=max, name=name)
        self.which = which
        self._params(which=which, field=field, max=max)

    def _value(self, item: Any) -> tuple[float | None, str]:
        if self.field:
            return self._number(recorded_field(item, self.field)), self.field
        if self.which != "total":
            where = f"{self.which}_tokens"
            return self._number(recorded_field(item, where)), where
        parts = [self._number(recorded_field(item, f"{side}_tokens")) for side in ("input", "output")]
        if all(p is None for p in parts):
            return None, "input_tokens/output_tokens"
        return sum(p or 0.0 for p in parts), "input_tokens/output_tokens"
