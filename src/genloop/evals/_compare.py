"""Compare two evaluation runs on the items they share: per-metric deltas with a paired test, win/tie/loss
counts with intervals, the items that changed most, and a warning when the sample is too small."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genloop.errors import Hint, InvalidInput
from genloop.evals import stats
from genloop.evals._aggregate import item_values
from genloop.evals._schemas import Comparison, EvalItem, ItemChange, MetricComparison

__all__ = ["compare_items", "metric_directions", "pick_candidate"]

_SKIP = {"latency_s"}


def metric_directions(spec: Mapping[str, Any]) -> dict[str, bool | None]:
    """``{score key: higher_is_better}`` for the computed metrics of a run's spec; a metric this process
    does not know (a custom one registered elsewhere) is left out, so it counts as higher-is-better."""
    from genloop.evals._metrics import resolve_metrics

    directions: dict[str, bool | None] = {}
    for entry in spec.get("metrics") or []:
        try:
            for name, metric in resolve_metrics([entry]):
                directions[name] = metric.higher_is_better
        except InvalidInput:
            continue
    return directions


def pick_candidate(items: list[EvalItem], wanted: str | None, run_id: str) -> str:
    """The candidate to compare in a run: ``wanted``, or the run's only one."""
    names = sorted({i.candidate for i in items})
    if wanted is not None:
        if wanted not in names:
            raise InvalidInput(f"run {run_id} has no candidate {wanted!r}", hint=f"its candidates: {', '.join(names)}")
        return wanted
    if len(names) != 1:
        raise InvalidInput(f"run {run_id} has {len(names)} candidates ({', '.join(names)}); say which to compare",
                           hint=Hint(cli="pass --candidate-a / --candidate-b", sdk="pass candidate_a= / candidate_b=",
                                     rest='add the query parameters "candidate_a" / "candidate_b"'))
    return names[0]


def compare_items(run_a: str, run_b: str, items_a: list[EvalItem], items_b: list[EvalItem], *,
                  candidate_a: str | None = None, candidate_b: str | None = None, top: int = 5,
                  min_effect: float | None = None, alpha: float = 0.05, seed: int = 0,
                  directions: Mapping[str, bool | None] | None = None) -> Comparison:
    """Run B against run A (the baseline); a positive delta means B scored higher.

    ``directions`` maps a score key to its metric's ``higher_is_better`` (default True): where lower is
    better, a win is an item where B scored lower.
    """
    cand_a = pick_candidate(items_a, candidate_a, run_a)
    cand_b = pick_candidate(items_b, candidate_b, run_b)
    mine_a = [i for i in items_a if i.candidate == cand_a and i.status == "ok"]
    mine_b = [i for i in items_b if i.candidate == cand_b and i.status == "ok"]
    shared = sorted({i.example_id for i in mine_a} & {i.example_id for i in mine_b})
    keys = sorted(({k for i in mine_a for k in i.scores} & {k for i in mine_b for k in i.scores}) - _SKIP)
    warnings: list[str] = []
    if not shared:
        warnings.append("the runs share no finished items (same dataset version and example ids are needed)")
    metrics: list[MetricComparison] = []
    changes: list[ItemChange] = []
    first_a = {i.example_id: i for i in mine_a if i.repeat == 0}
    first_b = {i.example_id: i for i in mine_b if i.repeat == 0}
    for key in keys:
        va, vb = item_values(mine_a, key), item_values(mine_b, key)
        common = [ex for ex in shared if ex in va and ex in vb]
        direction = (directions or {}).get(key, True)
        comparison = _one_metric(key, [va[e] for e in common], [vb[e] for e in common], min_effect, alpha, seed,
                                 direction)
        metrics.append(comparison)
        if comparison.warning:
            warnings.append(comparison.warning)
        for ex in common:
            delta = vb[ex] - va[ex]
            if delta:
                a_item, b_item = first_a.get(ex), first_b.get(ex)
                changes.append(ItemChange(example_id=ex, metric=key, score_a=va[ex], score_b=vb[ex], delta=delta,
                                          inputs=a_item.inputs if a_item else {},
                                          output_a=a_item.output if a_item else None,
                                          output_b=b_item.output if b_item else None))
    changes.sort(key=lambda c: (-abs(c.delta), c.metric, c.example_id))
    return Comparison(run_a=run_a, run_b=run_b, candidate_a=cand_a, candidate_b=cand_b, shared=len(shared),
                      metrics=metrics, top_changes=changes[:top], warnings=warnings)


def _one_metric(key: str, a: list[float], b: list[float], min_effect: float | None, alpha: float,
                seed: int, higher_is_better: bool | None = True) -> MetricComparison:
    n = len(a)
    if n == 0:
        return MetricComparison(metric=key, n=0, mean_a=None, mean_b=None, delta=None,
                                higher_is_better=higher_is_better,
                                warning=f"{key}: no shared items with a value in both runs")
    # compared on a scale where higher is better (so wins are items where B did better), reported on the metric's
    sign = -1.0 if higher_is_better is False else 1.0
    if n < 2:
        better = sign * (b[0] - a[0])
        return MetricComparison(metric=key, n=n, mean_a=a[0], mean_b=b[0], delta=b[0] - a[0],
                                higher_is_better=higher_is_better, test="none (one item)",
                                wins=int(better > 0), ties=int(better == 0), losses=int(better < 0),
                                warning=f"{key}: one shared item; nothing can be shown")
    result = stats.compare_paired([sign * x for x in a], [sign * x for x in b], alpha=alpha, min_effect=min_effect,
                                  seed=seed)
    delta = result.delta
    ci_low, ci_high = sorted((sign * delta.low, sign * delta.high))
    outcome = result.outcome
    warning = result.power.message if result.power is not None and not result.power.sufficient else None
    if warning and not warning.startswith(key):
        warning = f"{key}: {warning}"
    return MetricComparison(metric=key, n=n, mean_a=sign * result.mean_a, mean_b=sign * result.mean_b,
                            delta=None if delta.estimate is None else sign * delta.estimate,
                            higher_is_better=higher_is_better, ci_low=ci_low, ci_high=ci_high,
                            p_value=result.p_value, test=result.test, significant=result.significant,
                            wins=outcome.wins, ties=outcome.ties, losses=outcome.losses,
                            win_rate=outcome.win.estimate, win_ci_low=outcome.win.low, win_ci_high=outcome.win.high,
                            warning=warning)

