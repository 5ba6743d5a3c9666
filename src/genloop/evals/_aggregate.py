"""Aggregates of a run: every metric's mean with a confidence interval, pairwise win rates, rankings.

Means get a bootstrap interval over examples (repeats of one example are averaged first, so they do not
count as independent evidence); 0/1 metrics get a Wilson interval. A metric with a corpus-level score (BLEU,
chrF) is reported as that score, not as the mean of its sentence scores (see :func:`corpus_aggregate`).
Pairwise verdicts give win/tie/loss counts, a win rate ((wins + ties/2) / n) of the challenger (``candidate_a``:
a later candidate, or any candidate but the judge's baseline) with its interval, and the position-consistency
rate; three or more candidates are ranked with Bradley-Terry. The flat ``metrics`` dict
is what gates read; ``compare`` works on the items' own scores.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

from genloop.evals import stats
from genloop.evals._schemas import Aggregate, EvalItem, EvalPair

__all__ = ["PAIRWISE_METHOD", "aggregate", "corpus_aggregate", "item_values", "pairwise_interval", "summarize"]


def item_values(items: list[EvalItem], key: str) -> dict[str, float]:
    """Per example id, the mean of ``key`` over its repeats (items without a value are left out)."""
    grouped: dict[str, list[float]] = defaultdict(list)
    for item in items:
        value = item.scores.get(key)
        if item.status == "ok" and isinstance(value, (int, float)) and not isinstance(value, bool):
            grouped[item.example_id].append(float(value))
        elif item.status == "ok" and isinstance(value, bool):
            grouped[item.example_id].append(float(value))
    return {ex: mean(vs) for ex, vs in grouped.items()}


def aggregate(values: list[float], seed: int = 0, *, proportion: bool = True) -> Aggregate:
    """Mean with a bootstrap interval, or, for a ``proportion`` whose every value is 0 or 1, a Wilson interval
    (a measurement such as tokens or latency that happens to be all 0 keeps its bootstrap interval)."""
    if not values:
        return Aggregate(value=None, n=0)
    if proportion and all(v in (0.0, 1.0) for v in values):
        interval = stats.wilson_interval(sum(values), len(values))
        method = "wilson"
    else:
        interval = stats.bootstrap_ci(values, seed=seed)
        method = "bootstrap"
    return Aggregate(value=interval.estimate, ci_low=interval.low, ci_high=interval.high, n=len(values),
                     method=method)


def _flat(prefix: str, agg: Aggregate, out: dict[str, float]) -> None:
    if agg.value is None:
        return
    out[prefix] = agg.value
    if agg.ci_low is not None and agg.ci_high is not None:
        out[f"{prefix}.ci_low"] = agg.ci_low
        out[f"{prefix}.ci_high"] = agg.ci_high
    out[f"{prefix}.n"] = float(agg.n)


def summarize(plan: Any, items: list[EvalItem], pairs: list[EvalPair]) -> tuple[dict[str, float], dict[str, Any]]:
    """``(flat metrics, summary)`` of a run from all its items and verdicts."""
    spec = plan.spec
    names = [c.name for c in plan.candidates]
    kinds = {name: getattr(metric, "proportion", True) for name, metric in plan.metrics}
    kinds.update({j.name: tuple(j.spec.scale) == (0, 1) for j in plan.pointwise})
    single = len(names) == 1
    metrics: dict[str, float] = {}
    aggregates: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for cand in names:
        mine = [i for i in items if i.candidate == cand]
        ok = [i for i in mine if i.status == "ok"]
        per: dict[str, Aggregate] = {}
        for key, proportion in kinds.items():
            per[key] = aggregate(list(item_values(mine, key).values()), seed=spec.seed, proportion=proportion)
        for name, metric in plan.metrics:
            per.update(corpus_aggregate(name, metric, ok, per[name], cand, warnings, seed=spec.seed))
        for judge in plan.pointwise:
            if judge.spec.pass_threshold is not None:
                passed = [float(j.get("passed")) for i in mine if i.status == "ok"
                          for j in [i.judgments.get(judge.name) or {}] if j.get("passed") is not None]
                per[f"{judge.name}.pass_rate"] = aggregate([1.0 if p else 0.0 for p in passed])
        latencies = [i.latency_s for i in ok if i.latency_s is not None]
        if latencies:
            per["latency_s"] = aggregate(latencies, seed=spec.seed, proportion=False)
        for key, agg in per.items():
            _flat(key if single else f"{cand}.{key}", agg, metrics)
        error_rate = (len(mine) - len(ok)) / len(mine) if mine else 0.0
        metrics["error_rate" if single else f"{cand}.error_rate"] = error_rate
        aggregates[cand] = {k: a.model_dump() for k, a in per.items()}
    judges = _judge_summary(plan, items, pairs, warnings)
    pairwise = _pairwise(plan, pairs, metrics, spec.seed)
    ranking = _ranking(names, pairs) if len(names) >= 3 and pairs else []
    for entry in ranking:
        metrics[f"bt.{entry['candidate']}"] = entry["strength"]
    counts = {"items": len(items), "ok_items": sum(i.status == "ok" for i in items),
              "error_items": sum(i.status == "error" for i in items), "pairs": len(pairs),
              "error_pairs": sum(p.status == "error" for p in pairs),
              "unparsed_pairs": sum(p.status == "unparsed" for p in pairs)}
    cost = sum(i.cost or 0.0 for i in items) + sum(p.cost or 0.0 for p in pairs)
    # the run's total cost; in a one-candidate run that lists the ``cost`` metric, its per-item mean keeps
    # the key (its interval and n sit beside it), and the total stays in the result's ``cost`` field
    metrics.setdefault("cost", cost)
    directions = {name: getattr(metric, "higher_is_better", True) for name, metric in plan.metrics}
    summary = {"dataset": plan.dataset_ref, "candidates": names, "spec_hash": plan.spec_hash, "directions": directions,
               "aggregates": aggregates, "pairwise": pairwise, "ranking": ranking, "judges": judges,
               "counts": counts, "cost": cost, "warnings": warnings + _small_sample(aggregates)}
    return metrics, summary


def corpus_aggregate(name: str, metric: Any, ok: list[EvalItem], mean: Aggregate, candidate: str,
                     warnings: list[str], seed: int = 0) -> dict[str, Aggregate]:
    """``{name: corpus score, name.mean: item mean}`` for a metric with a corpus-level score, else ``{}``.

    BLEU and chrF are defined on a corpus (their n-gram statistics are summed over all segments before one
    score is computed), so the run reports that score over every answered item (repeats included), not the
    mean of sentence scores, a different number that weights every segment alike and depends on sentence-level
    smoothing. Its interval is a bootstrap of the corpus score itself over segments (from the metric's
    per-segment statistics); a plugin metric without ``corpus_statistics`` keeps the item mean's interval, as
    ``method`` says. The item mean is kept as ``NAME.mean``: it is what ``compare`` tests, item by item.
    """
    scored = [i for i in ok if i.scores.get(name) is not None]
    if mean.value is None or not scored:
        return {}
    from genloop.evals._metrics import metric_reference

    outputs, references = [i.output or "" for i in scored], [metric_reference(i.reference) for i in scored]
    try:
        score = metric.corpus_score(outputs, references)
        statistics = metric.corpus_statistics(outputs, references) if hasattr(metric, "corpus_statistics") else None
    except Exception as exc:  # noqa: BLE001 - a plugin's corpus score failing leaves the item mean standing
        warnings.append(f"candidate {candidate}: corpus {name} failed ({type(exc).__name__}: {exc}); "
                        f"{name} is the mean of item scores")
        return {}
    if score is None or score.value is None:
        return {}
    if statistics is not None:
        interval = stats.bootstrap_corpus_ci(statistics[0], statistics[1], seed=seed)
        corpus = Aggregate(value=float(score.value), ci_low=interval.low, ci_high=interval.high, n=len(scored),
                           method="corpus (bootstrap over segments)")
    else:
        corpus = Aggregate(value=float(score.value), ci_low=mean.ci_low, ci_high=mean.ci_high, n=mean.n,
                           method=f"corpus (interval of the item mean, {mean.method})")
    return {name: corpus, f"{name}.mean": mean}


def _judge_summary(plan: Any, items: list[EvalItem], pairs: list[EvalPair], warnings: list[str]
                   ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for judge in plan.pointwise:
        judged = [i.judgments[judge.name] for i in items if judge.name in i.judgments]
        samples = sum(len(j.get("samples") or []) for j in judged)
        unparsed = sum(int(j.get("unparsed") or 0) for j in judged)
        no_score = sum(j.get("score") is None for j in judged)
        out[judge.name] = {"type": "pointwise", "items": len(judged), "samples": samples,
                           "unparsed_samples": unparsed, "unscored_items": no_score, "prompt": judge.prompt.ref}
        if no_score:
            warnings.append(f"judge {judge.name}: {no_score} of {len(judged)} items got no readable score "
                            "(recorded as unparsed; see the items' judgments)")
    for judge, _ in plan.pairwise:
        mine = [p for p in pairs if p.judge == judge.name]
        unparsed = sum(p.status == "unparsed" for p in mine)
        checked = [p.consistent for p in mine if p.consistent is not None]
        out[judge.name] = {"type": "pairwise", "verdicts": len(mine), "unparsed": unparsed,
                           "consistency": sum(checked) / len(checked) if checked else None,
                           "prompt": judge.prompt.ref}
        if unparsed:
            warnings.append(f"judge {judge.name}: {unparsed} of {len(mine)} pairwise verdicts could not be read")
    return out


def _pairwise(plan: Any, pairs: list[EvalPair], metrics: dict[str, float], seed: int) -> list[dict[str, Any]]:
    out = []
    count = sum(len(p) for _, p in plan.pairwise)
    for judge, pair_list in plan.pairwise:
        for a, b in pair_list:
            mine = [p for p in pairs if p.judge == judge.name and p.candidate_a == a and p.candidate_b == b
                    and p.status != "error"]
            decided = [p for p in mine if p.winner is not None]
            wins = sum(p.winner == "a" for p in decided)
            ties = sum(p.winner == "tie" for p in decided)
            losses = sum(p.winner == "b" for p in decided)
            checked = [p.consistent for p in mine if p.consistent is not None]
            value, low, high = pairwise_interval(wins, ties, losses)
            entry = {"judge": judge.name, "candidate_a": a, "candidate_b": b, "win_rate_of": a, "against": b,
                     "n": len(decided), "wins": wins, "ties": ties, "losses": losses,
                     "unparsed": len(mine) - len(decided), "win_rate": value, "ci_low": low, "ci_high": high,
                     "method": PAIRWISE_METHOD if decided else None,
                     "consistency": sum(checked) / len(checked) if checked else None}
            out.append(entry)
            prefix = judge.name if count == 1 else f"{judge.name}.{a}_vs_{b}"
            if value is not None:
                metrics[f"{prefix}.win_rate"] = value
                if low is not None and high is not None:
                    metrics[f"{prefix}.win_rate.ci_low"], metrics[f"{prefix}.win_rate.ci_high"] = low, high
                metrics[f"{prefix}.tie_rate"] = ties / len(decided)
                metrics[f"{prefix}.n"] = float(len(decided))
            if entry["consistency"] is not None:
                metrics[f"{prefix}.consistency"] = entry["consistency"]
    return out


PAIRWISE_METHOD = "wilson (ties count as half a win)"


def pairwise_interval(wins: int, ties: int, losses: int, level: float = 0.95
                      ) -> tuple[float | None, float | None, float | None]:
    """``(win rate, low, high)``: the Wilson score interval (Wilson, 1927) of ``(wins + ties / 2) / n``.

    Each verdict scores 1, 0.5 or 0. A score on [0, 1] with mean p has variance at most p (1 - p) (Bhatia and
    Davis, 2000), the variance the Wilson interval assumes, so counting a tie as half a success never makes
    the interval narrower than the data allow: all ties give an interval around 0.5 as wide as a coin's, so a
    judge that only prefers the first position (every verdict flips with the order: a tie) cannot pass
    ``win_rate.ci_low>=0.5``. A bootstrap over the 1/0.5/0 scores would instead give all ties zero width.
    """
    n = wins + ties + losses
    if n == 0:
        return None, None, None
    interval = stats.wilson_interval(wins + ties / 2, n, level)
    return interval.estimate, interval.low, interval.high


def _ranking(names: list[str], pairs: list[EvalPair]) -> list[dict[str, Any]]:
    verdicts = [(p.candidate_a, p.candidate_b, p.winner) for p in pairs if p.winner is not None]
    if not verdicts:
        return []
    fit = stats.bradley_terry(verdicts, candidates=names)
    return [{"candidate": c.candidate, "rank": c.rank, "strength": c.strength, "ci_low": c.strength_low,
             "ci_high": c.strength_high} for c in fit.candidates]


def _small_sample(aggregates: dict[str, dict[str, Any]]) -> list[str]:
    warnings = []
    for cand, per in aggregates.items():
        sizes = [a["n"] for a in per.values() if a.get("n")]
        if sizes and min(sizes) < 30:
            warnings.append(f"candidate {cand}: only {min(sizes)} examples; intervals are wide and small "
                            "differences cannot be shown")
            break
    return warnings
