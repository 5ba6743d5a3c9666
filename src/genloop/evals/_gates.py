"""Gates: pass/fail conditions on an evaluation's metrics, checked after a run (CLI ``--gate``, pytest).

One grammar: ``[CANDIDATE.]METRIC[.ci_low|.ci_high] OP NUMBER`` with OP one of ``>= > <= < == !=``:
``exact_match>=0.5``, ``exact_match.ci_low>=0.3`` (the lower bound of its 95 % interval),
``base.rouge_l.ci_high<0.9``, ``pairwise.win_rate>0.5`` (a judge's metric), ``cost<=0.01``. Without a
candidate, a candidate's metric is read from the last candidate (the one under test: the baseline comes
first). ``no_regression:RUN_ID`` passes when no metric is significantly worse than in that run.

Each verdict reads ``new.exact_match.ci_low = 0.31 >= 0.3: pass``; a name the run does not have lists what
can be gated, with the ``.ci_low``/``.ci_high`` forms.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from genloop.errors import InvalidInput
from genloop.evals._schemas import EvalResult, GateResult

__all__ = ["GRAMMAR", "check_gates", "gateable", "parse_gate"]

GRAMMAR = "[CANDIDATE.]METRIC[.ci_low|.ci_high] OP NUMBER (OP: >= > <= < == !=), or no_regression:RUN_ID"
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt}
#: Resource measurements: gate them with thresholds (``cost<=0.01``), not as regressions of quality.
_NOT_QUALITY = {"latency_s", "latency", "cost", "tokens", "length"}
_GATE = re.compile(r"^\s*([A-Za-z0-9_.:/\-]+?)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$")
_BOUNDS = (".ci_low", ".ci_high")


def parse_gate(text: str) -> tuple[str, str, float]:
    """``"rouge_l>=0.4"`` -> ``("rouge_l", ">=", 0.4)``; an :class:`InvalidInput` says what is wrong."""
    match = _GATE.fullmatch(text or "")
    if not match:
        raise InvalidInput(f"invalid gate {text!r}",
                           hint=f"write {GRAMMAR}; e.g. exact_match.ci_low>=0.3 or new.rouge_l>0.4")
    threshold = float(match.group(3))
    if not math.isfinite(threshold):
        raise InvalidInput(f"invalid gate {text!r}: the threshold {match.group(3)} is not a finite number",
                           hint="write a threshold such as 0.3 or 1e-3")
    return match.group(1), match.group(2), threshold


def gateable(result: EvalResult) -> list[str]:
    """What a gate may name on ``result``, each metric once with ``[.ci_low|.ci_high]`` when it has an interval."""
    names = []
    for key in sorted(result.metrics):
        if key.endswith((*_BOUNDS, ".n")):
            continue
        names.append(f"{key}[.ci_low|.ci_high]" if f"{key}.ci_low" in result.metrics else key)
    return names


def check_gates(result: EvalResult, gates: list[str], *, compare: Callable[[str, str], Any] | None = None
                ) -> list[GateResult]:
    """Check each gate on ``result`` once (a gate given twice is checked once); ``compare(run_a, run_b)`` is
    needed for ``no_regression:RUN``."""
    unique = list(dict.fromkeys(g.strip() for g in gates))
    return [_check(result, gate, compare) for gate in unique]


def _resolve(result: EvalResult, key: str) -> str | None:
    """The metric key a gate's name means on ``result``: as written, else on the last candidate."""
    if key in result.metrics:
        return key
    candidates = list(result.candidates)
    if len(candidates) > 1 and key.split(".", 1)[0] not in candidates:
        scoped = f"{candidates[-1]}.{key}"
        return scoped if scoped in result.metrics else None
    if len(candidates) == 1 and key.startswith(f"{candidates[0]}."):  # one candidate: its metrics are unprefixed
        bare = key[len(candidates[0]) + 1:]
        return bare if bare in result.metrics else None
    return None


def _check(result: EvalResult, gate: str, compare: Callable[[str, str], Any] | None) -> GateResult:
    if gate.startswith("no_regression:"):
        return _no_regression(result, gate, compare)
    name, op, threshold = parse_gate(gate)
    key = _resolve(result, name)
    if key is None:
        last = f"; a name without a candidate means the last one, {result.candidates[-1]!r}" \
            if len(result.candidates) > 1 else ""
        return GateResult(gate=gate, passed=False, threshold=threshold,
                          message=f"{gate}: run {result.run_id} has no metric {name!r}{last}; "
                                  f"it can gate: {', '.join(gateable(result))}")
    actual = result.metrics[key]
    passed = _OPS[op](actual, threshold)
    margin = actual - threshold if op in {">=", ">"} else threshold - actual if op in {"<=", "<"} else None
    written = gate.split(op, 1)[1].strip()
    short = f" ({abs(margin):.4g} short)" if not passed and margin is not None else ""
    message = f"{key} = {actual:.4g} {op} {written}: {'pass' if passed else 'fail'}{short}"
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
        return GateResult(gate=gate, passed=True, message=f"{gate}: no metric significantly worse than in run "
                          f"{baseline} on {shared} shared items: pass")
    detail = "; ".join(f"{name + '.' if name else ''}{m.metric} {m.mean_a:.4g} -> {m.mean_b:.4g} ({m.delta:+.4g}, "
                       f"p={m.p_value:.3g})" for name, m in worse)
    worse = [m for _, m in worse]
    first = worse[0]
    return GateResult(gate=gate, passed=False, actual=first.mean_b, threshold=first.mean_a, margin=first.delta,
                      message=f"{gate}: significantly worse: {detail}: fail")


def _regressed(m: Any) -> bool:
    """Significantly worse in B: lower where higher is better, higher where lower is better."""
    if not m.significant or m.delta is None or m.metric in _NOT_QUALITY or m.higher_is_better is None:
        return False
    return bool(m.delta < 0 if m.higher_is_better else m.delta > 0)
