"""Gates: pass/fail conditions on an evaluation's metrics, checked after a run (CLI ``--gate``, pytest).

Forms: ``METRIC OP NUMBER`` with OP one of ``>= > <= < == !=`` on any flat metric key (``rouge_l``,
``rouge_l.ci_low`` for the lower confidence bound, ``pairwise.win_rate``, ``CANDIDATE.METRIC`` when a run
has several candidates), and ``no_regression:RUN_ID`` (no metric significantly worse than in that run).
A failed gate says which and by how much.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from genloop.errors import InvalidInput
from genloop.evals._schemas import EvalResult, GateResult

__all__ = ["check_gates", "parse_gate"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt}
#: Resource measurements: gate them with thresholds (``cost<=0.01``), not as regressions of quality.
_NOT_QUALITY = {"latency_s", "latency", "cost", "tokens", "length"}
_GATE = re.compile(r"^\s*([A-Za-z0-9_.:/\-]+?)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\s*$")


def parse_gate(text: str) -> tuple[str, str, float]:
    """``"rouge_l>=0.4"`` -> ``("rouge_l", ">=", 0.4)``; an :class:`InvalidInput` says what is wrong."""
    match = _GATE.fullmatch(text or "")
    if not match:
        raise InvalidInput(f"invalid gate {text!r}",
                           hint="write METRIC>=NUMBER (e.g. rouge_l>=0.4, rouge_l.ci_low>0.35) or no_regression:RUN_ID")
    return match.group(1), match.group(2), float(match.group(3))


def check_gates(result: EvalResult, gates: list[str], *, compare: Callable[[str, str], Any] | None = None
                ) -> list[GateResult]:
    """Check each gate on ``result``; ``compare(run_a, run_b)`` is needed for ``no_regression:RUN``."""
    return [_check(result, gate, compare) for gate in gates]


def _check(result: EvalResult, gate: str, compare: Callable[[str, str], Any] | None) -> GateResult:
    if gate.strip().startswith("no_regression:"):
        return _no_regression(result, gate, compare)
    key, op, threshold = parse_gate(gate)
    actual = result.metrics.get(key)
    if actual is None:
        known = ", ".join(sorted(k for k in result.metrics if "." not in k or k.count(".") == 1)[:30])
        return GateResult(gate=gate, passed=False, threshold=threshold,
                          message=f"gate {gate}: no metric {key!r} in run {result.run_id} (known: {known})")
    passed = _OPS[op](actual, threshold)
    margin = actual - threshold if op in {">=", ">"} else threshold - actual if op in {"<=", "<"} else None
    if passed:
        message = f"gate {gate} passed: {key} = {actual:.4g}"
    elif margin is not None:
        side = "below" if op in {">=", ">"} else "above"
        message = f"gate {gate} failed: {key} = {actual:.4g}, {abs(margin):.4g} {side} {threshold:g}"
    else:
        message = f"gate {gate} failed: {key} = {actual:.4g}"
    return GateResult(gate=gate, passed=passed, actual=actual, threshold=threshold, margin=margin, message=message)


def _no_regression(result: EvalResult, gate: str, compare: Callable[[str, str], Any] | None) -> GateResult:
    baseline = gate.split(":", 1)[1].strip()
    if not baseline:
        raise InvalidInput(f"invalid gate {gate!r}", hint="write no_regression:RUN_ID")
    if compare is None:
        raise InvalidInput(f"gate {gate} needs the store to compare runs", hint="check it through client.evals")
    names = result.candidates if len(result.candidates) > 1 else [None]
    worse, shared = [], 0
    for name in names:  # several candidates: each against its namesake in the baseline run
        comparison = compare(baseline, result.run_id, candidate_a=name, candidate_b=name)
        shared += comparison.shared
        worse += [(name, m) for m in comparison.metrics if _regressed(m)]
    if not worse:
        return GateResult(gate=gate, passed=True, message=f"gate {gate} passed: no metric significantly worse "
                          f"than run {baseline} on {shared} shared items")
    detail = "; ".join(f"{name + '.' if name else ''}{m.metric} {m.mean_a:.4g} -> {m.mean_b:.4g} ({m.delta:+.4g}, "
                       f"p={m.p_value:.3g})" for name, m in worse)
    worse = [m for _, m in worse]
    first = worse[0]
    return GateResult(gate=gate, passed=False, actual=first.mean_b, threshold=first.mean_a, margin=first.delta,
                      message=f"gate {gate} failed: significant regression: {detail}")


def _regressed(m: Any) -> bool:
    """Significantly worse in B: lower where higher is better, higher where lower is better."""
    if not m.significant or m.delta is None or m.metric in _NOT_QUALITY or m.higher_is_better is None:
        return False
    return bool(m.delta < 0 if m.higher_is_better else m.delta > 0)
