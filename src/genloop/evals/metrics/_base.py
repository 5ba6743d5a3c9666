"""The metric interface: a :class:`Score`, the :class:`Metric` base class and the ``@metric`` decorator.

A metric scores one output against its reference(s) and the item it came from (recorded fields such as
latency or cost); a few (BLEU, chrF) also have a real corpus-level score that is not a mean of item scores.
Metrics are configured by keyword parameters (``Rouge(variant="rougeL", stemmer=True)``), and
``metric.configure(**params)`` returns a new metric with some of them changed, which is how the registry
turns ``{"name": "regex", "pattern": "^\\d+$"}`` into a metric.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from genloop.errors import InvalidInput

__all__ = ["FunctionMetric", "Metric", "Reference", "Score", "metric"]

Reference = str | Sequence[str] | None


class Score(BaseModel):
    """One metric on one item: ``value`` (a float, None when not applicable), ``passed`` when the metric has
    a pass/fail notion, a short ``explanation`` and optional ``details`` (e.g. ROUGE precision and recall)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | None = None
    passed: bool | None = None
    explanation: str | None = None
    details: dict[str, Any] | None = None


class Metric:
    """Base class of computed metrics.

    Subclasses set ``name``, take their parameters as keyword-only ``__init__`` arguments (stored with
    :meth:`_params`) and implement :meth:`score`. ``higher_is_better`` is None for plain measurements
    (length, latency) and False for costs. ``proportion`` says whether 0/1 values are a rate (a Wilson
    interval fits them); it is False for measurements (length, latency, tokens, cost), whatever values they take.
    """

    name: str = "metric"
    requires_reference: bool = False
    higher_is_better: bool | None = True
    proportion: bool = True

    def __init__(self, *, name: str | None = None) -> None:
        if name is not None:
            self.name = name
        self.params: dict[str, Any] = {}
        self.origin: str | None = None  # the registered name this one was relabelled from, if any

    def _params(self, **params: Any) -> None:
        """Record the parameters this instance was built with (what :attr:`spec` and :meth:`configure` use)."""
        self.params = dict(params)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        """Score one ``output`` against ``reference`` (one string or several) and its ``item``."""
        raise NotImplementedError

    def __call__(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        return self.score(output, reference, item)

    def corpus_score(self, outputs: Sequence[str], references: Sequence[Reference]) -> Score | None:
        """A corpus-level score where one exists (BLEU, chrF); None means "use the mean of item scores"."""
        return None

    def corpus_statistics(self, outputs: Sequence[str], references: Sequence[Reference]
                          ) -> tuple[list[list[int]], Callable[[Sequence[int]], float]] | None:
        """Per-segment additive statistics and the function that scores their sums, for a corpus score that
        has them (BLEU, chrF): what lets a run bootstrap the corpus score itself. None when it has none."""
        return None

    def parameters(self) -> list[str]:
        """The names of the keyword parameters this metric accepts."""
        signature = inspect.signature(type(self).__init__)
        return [p for p, spec in signature.parameters.items()
                if spec.kind is inspect.Parameter.KEYWORD_ONLY and p != "name"]

    def configure(self, **params: Any) -> Metric:
        """A new metric with ``params`` changed (this one when there are none); unknown ones are InvalidInput."""
        if not params:
            return self
        accepted = self.parameters()
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise InvalidInput(
                f"metric {self.name!r} has no parameter {', '.join(map(repr, unknown))}",
                hint=f"it takes: {', '.join(accepted)}" if accepted else "it takes no parameters",
            )
        configured = self._with(self.name, {**self.params, **params})
        configured.origin = self.origin
        return configured

    def renamed(self, name: str) -> Metric:
        """The same metric labelled ``name`` (to list two variants of one metric side by side)."""
        if name == self.name:
            return self
        labelled = self._with(name, self.params)
        labelled.origin = self.origin or self.name
        return labelled

    def _with(self, name: str, params: dict[str, Any]) -> Metric:
        """A metric of this kind built with exactly ``name`` and ``params``."""
        return type(self)(name=name, **params)

    @property
    def spec(self) -> dict[str, Any]:
        """The JSON-able mapping that rebuilds this metric through ``get_metric``."""
        if self.origin is not None:
            return {"metric": self.origin, "name": self.name, **self.params}
        return {"name": self.name, **self.params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}(name={self.name!r}{', ' + args if args else ''})"

    def references(self, reference: Reference) -> list[str]:
        """``reference`` as a non-empty list of strings; InvalidInput names the metric when there is none."""
        refs = [reference] if isinstance(reference, str) else [r for r in (reference or ()) if r is not None]
        if not refs:
            raise InvalidInput(f"metric {self.name!r} needs a reference and this item has none",
                               hint="set the spec's reference_column, or drop the metric")
        if not all(isinstance(r, str) for r in refs):
            raise InvalidInput(f"metric {self.name!r} needs text references, got {type(refs[0]).__name__}")
        return refs


def to_score(name: str, result: Any) -> Score:
    """A custom metric's return value as a Score: a Score, a bool (passed, 1.0/0.0), a number, a mapping
    of Score fields, or None (not applicable)."""
    if isinstance(result, Score):
        return result
    if result is None:
        return Score()
    if isinstance(result, bool | np.bool_):
        return Score(value=float(result), passed=bool(result))
    if isinstance(result, int | float | np.integer | np.floating):
        return Score(value=float(result))
    if isinstance(result, Mapping):
        try:
            return Score(**result)
        except ValidationError as exc:
            raise InvalidInput(f"metric {name!r} returned a mapping that is not a Score: {exc.errors()[0]['msg']}",
                               hint="use the keys value, passed, explanation, details") from exc
    raise InvalidInput(f"metric {name!r} returned {type(result).__name__}",
                       hint="return a Score, a bool, a number, a dict of Score fields, or None")


class FunctionMetric(Metric):
    """A metric made from a plain function by :func:`metric`.

    The function takes any of ``output``, ``reference`` and ``item`` (by those names), plus keyword
    parameters with defaults, which become the metric's parameters. Calling the metric scores, like any
    metric; the plain function stays at ``.fn``.
    """

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, higher_is_better: bool | None = True,
                 requires_reference: bool = False, **params: Any) -> None:
        super().__init__(name=name or fn.__name__)
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.higher_is_better = higher_is_better
        self.requires_reference = requires_reference
        signature = inspect.signature(fn)
        self._inputs = [p for p in ("output", "reference", "item") if p in signature.parameters]
        if not self._inputs:
            raise InvalidInput(f"metric function {fn.__name__!r} takes none of output, reference, item")
        self._accepted = [p for p, spec in signature.parameters.items()
                          if p not in self._inputs and spec.default is not inspect.Parameter.empty]
        self._params(**params)

    def parameters(self) -> list[str]:
        return list(self._accepted)

    def _with(self, name: str, params: dict[str, Any]) -> Metric:
        return FunctionMetric(self.fn, name=name, higher_is_better=self.higher_is_better,
                              requires_reference=self.requires_reference, **params)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        if self.requires_reference:
            reference = self.references(reference)
        given = {"output": output, "reference": reference, "item": item if item is not None else {}}
        return to_score(self.name, self.fn(**{p: given[p] for p in self._inputs}, **self.params))


@overload
def metric(fn: Callable[..., Any], /) -> FunctionMetric: ...


@overload
def metric(
    *, name: str | None = None, higher_is_better: bool | None = True, requires_reference: bool = False
) -> Callable[[Callable[..., Any]], FunctionMetric]: ...


def metric(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    higher_is_better: bool | None = True,
    requires_reference: bool = False,
) -> FunctionMetric | Callable[[Callable[..., Any]], FunctionMetric]:
    """Turn a function into a metric, with or without arguments::

        @metric
        def shouts(output: str) -> bool:
            return output.isupper()

        @metric(name="near", requires_reference=True)
        def near(output: str, reference: list[str], *, tolerance: float = 0.01) -> bool:
            return any(abs(float(output) - float(r)) <= tolerance for r in reference)

    Register it through the ``register_metrics`` hook, or pass the object wherever a metric spec goes.
    """

    def wrap(function: Callable[..., Any]) -> FunctionMetric:
        return FunctionMetric(function, name=name, higher_is_better=higher_is_better,
                              requires_reference=requires_reference)

    return wrap(fn) if fn is not None else wrap
