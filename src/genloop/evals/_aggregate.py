"""Aggregates of a run: every metric's mean with a confidence interval, pairwise win rates, rankings.

Means get a bootstrap interval over examples (repeats of one example are averaged first, so they do not
count as independent evidence); 0/1 metrics get a Wilson interval. Pairwise verdicts give win/tie/loss
counts, a win rate ((wins + ties/2) / n) with its interval, and the position-consistency rate; three or more
candidates are ranked with Bradley-Terry. The flat ``metrics`` dict is what gates and ``compare`` read.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

from genloop.evals import stats
from genloop.evals._schemas import Aggregate, EvalItem, EvalPair

__all__ = ["item_values", "summarize"]


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


def aggregate(values: list[float], seed: int = 0) -> Aggregate:
    """Mean with a bootstrap interval, or a proportion with a Wilson interval when every value is 0 or 1."""
    if not values:
        return Aggregate(value=None, n=0)
    if all(v in (0.0, 1.0) for v in values):
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
    keys = [name for name, _ in plan.metrics] + [j.name for j in plan.pointwise]
    single = len(names) == 1
    metrics: dict[str, float] = {}
    aggregates: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for cand in names:
        mine = [i for i in items if i.candidate == cand]
        per: dict[str, Aggregate] = {}
        for key in keys:
            per[key] = aggregate(list(item_values(mine, key).values()), seed=spec.seed)
        for judge in plan.pointwise:
            if judge.spec.pass_threshold is not None:
                passed = [float(j.get("passed")) for i in mine if i.status == "ok"
                          for j in [i.judgments.get(judge.name) or {}] if j.get("passed") is not None]
                per[f"{judge.name}.pass_rate"] = aggregate([1.0 if p else 0.0 for p in passed])
        ok = [i for i in mine if i.status == "ok"]
        per.update(_corpus(plan, ok))
        latencies = [i.latency_s for i in ok if i.latency_s is not None]
        if latencies:
            per["latency_s"] = aggregate(latencies, seed=spec.seed)
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
    metrics["cost"] = cost
    summary = {"dataset": plan.dataset_ref, "candidates": names, "spec_hash": plan.spec_hash,
               "aggregates": aggregates, "pairwise": pairwise, "ranking": ranking, "judges": judges,
               "counts": counts, "cost": cost, "warnings": warnings + _small_sample(aggregates)}
    return metrics, summary


def _corpus(plan: Any, ok: list[EvalItem]) -> dict[str, Aggregate]:
    """Corpus-level scores (BLEU, chrF) where a metric defines one, as ``METRIC.corpus``."""
    from genloop.evals._metrics import metric_reference

    out: dict[str, Aggregate] = {}
    first = [i for i in ok if i.repeat == 0]
    for name, metric in plan.metrics:
        corpus = getattr(metric, "corpus_score", None)
        if corpus is None or not first:
            continue
        try:
            score = corpus([i.output or "" for i in first], [metric_reference(i.reference) for i in first])
        except Exception:  # noqa: BLE001 - a corpus score is a bonus; the item mean stands without it
            continue
        if score is not None and score.value is not None:
            out[f"{name}.corpus"] = Aggregate(value=float(score.value), n=len(first), method="corpus")
    return out


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
            agg = aggregate([{"a": 1.0, "tie": 0.5, "b": 0.0}[p.winner] for p in decided if p.winner], seed=seed)
            value, low, high = agg.value, agg.ci_low, agg.ci_high
            entry = {"judge": judge.name, "candidate_a": a, "candidate_b": b, "n": len(decided), "wins": wins,
                     "ties": ties, "losses": losses, "unparsed": len(mine) - len(decided), "win_rate": value,
                     "ci_low": low, "ci_high": high,
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
