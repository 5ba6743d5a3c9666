"""Safety evaluation of a policy on labelled rows: how much it catches, how often it is wrong, how fast."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from genloop.errors import InvalidInput
from genloop.guardrails._engine import Guard
from genloop.guardrails._policy import Policy, load_policy

__all__ = ["CategoryStats", "CheckStats", "SafetyReport", "evaluate_policy"]


class CheckStats(BaseModel):
    """One rule's counts and latency over the evaluated rows (latency per row, in microseconds)."""

    findings: int = 0
    attack_rows: int = Field(default=0, description="attack rows on which the rule fired")
    benign_rows: int = Field(default=0, description="benign rows on which the rule fired (false positives)")
    p50_us: float = 0.0
    p99_us: float = 0.0
    mean_us: float = 0.0


class CategoryStats(BaseModel):
    """Attack rows of one category: how many were detected (any finding) and blocked."""

    rows: int = 0
    detected: int = 0
    blocked: int = 0
    recall: float = 0.0


class SafetyReport(BaseModel):
    """The result of :func:`evaluate_policy`; rates are fractions in [0, 1].

    ``block_rate``: attacks blocked. ``detection_rate``: attacks with any finding (blocked, rewritten or
    flagged). ``false_positive_rate``: benign rows with any finding; ``benign_block_rate``: benign rows
    blocked. ``per_category`` recall is the detection rate per attack category.
    """

    policy: str
    policy_digest: str
    stage: Literal["input", "output"]
    attacks: int
    benign: int
    block_rate: float
    detection_rate: float
    false_positive_rate: float
    benign_block_rate: float
    latency_p50_us: float
    latency_p99_us: float
    per_check: dict[str, CheckStats]
    per_category: dict[str, CategoryStats]

    def summary(self) -> str:
        """A plain-text table for the CLI and logs."""
        lines = [
            f"policy {self.policy} ({self.stage}): {self.attacks} attacks, {self.benign} benign",
            f"  block rate {self.block_rate:.1%}  detection {self.detection_rate:.1%}  "
            f"false positives {self.false_positive_rate:.1%} (blocked {self.benign_block_rate:.1%})",
            f"  latency p50 {self.latency_p50_us:.1f} us  p99 {self.latency_p99_us:.1f} us",
        ]
        lines += [
            f"  category {name:<14} recall {c.recall:6.1%}  ({c.detected}/{c.rows}, blocked {c.blocked})"
            for name, c in self.per_category.items()
        ]
        lines += [
            f"  check {name:<18} attacks {s.attack_rows:>5}  benign {s.benign_rows:>5}  "
            f"p50 {s.p50_us:7.1f} us  p99 {s.p99_us:7.1f} us"
            for name, s in self.per_check.items()
        ]
        return "\n".join(lines)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in [0, 100]) of ``values``; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def evaluate_policy(
    policy: Policy | Mapping[str, Any] | str | Path,
    rows: Iterable[Mapping[str, Any]],
    *,
    stage: Literal["input", "output"] = "input",
) -> SafetyReport:
    """Run ``policy`` on labelled rows and report block, detection and false-positive rates, per-rule counts
    and latency, and per-category recall.

    Each row has ``text`` and ``label`` (``attack`` or ``benign``), optionally ``category`` (attacks without
    one count as ``uncategorized``). Every rule runs on every row (no stop at the first block), so the
    per-rule counts are complete. ``stage`` picks the input or output rules.
    """
    policy = load_policy(policy)
    guard = Guard(policy, stop_on_block=False)
    check = guard.check_input if stage == "input" else guard.check_output
    labels = [c.label for c in guard.checks(stage)]
    per_check = {label: CheckStats() for label in labels}
    rule_times: dict[str, list[float]] = {label: [] for label in labels}
    categories: dict[str, CategoryStats] = {}
    totals: list[float] = []
    counts = {"attack": 0, "benign": 0, "attack_blocked": 0, "attack_detected": 0, "benign_hit": 0, "benign_blocked": 0}
    for i, row in enumerate(rows):
        text, label = row.get("text"), row.get("label")
        if not isinstance(text, str) or label not in ("attack", "benign"):
            raise InvalidInput(
                f"evaluation row {i}: needs a string 'text' and a 'label' of 'attack' or 'benign' (got {label!r})"
            )
        started = time.perf_counter_ns()
        result = check(text)
        totals.append((time.perf_counter_ns() - started) / 1000)
        for name, spent in result.timings_us.items():
            rule_times[name].append(spent)
        fired = {f.check for f in result.findings}
        for f in result.findings:
            per_check[f.check].findings += 1
        for name in fired:
            stats = per_check[name]
            if label == "attack":
                stats.attack_rows += 1
            else:
                stats.benign_rows += 1
        detected, blocked = bool(result.findings), result.blocked
        counts[label] += 1
        if label == "attack":
            counts["attack_detected"] += detected
            counts["attack_blocked"] += blocked
            cat = categories.setdefault(str(row.get("category") or "uncategorized"), CategoryStats())
            cat.rows += 1
            cat.detected += detected
            cat.blocked += blocked
        else:
            counts["benign_hit"] += detected
            counts["benign_blocked"] += blocked
    for name, stats in per_check.items():
        times = rule_times[name]
        stats.p50_us, stats.p99_us = round(percentile(times, 50), 2), round(percentile(times, 99), 2)
        stats.mean_us = round(sum(times) / len(times), 2) if times else 0.0
    for cat in categories.values():
        cat.recall = _rate(cat.detected, cat.rows)
    attacks, benign = counts["attack"], counts["benign"]
    return SafetyReport(
        policy=policy.name,
        policy_digest=policy.digest(),
        stage=stage,
        attacks=attacks,
        benign=benign,
        block_rate=_rate(counts["attack_blocked"], attacks),
        detection_rate=_rate(counts["attack_detected"], attacks),
        false_positive_rate=_rate(counts["benign_hit"], benign),
        benign_block_rate=_rate(counts["benign_blocked"], benign),
        latency_p50_us=round(percentile(totals, 50), 2),
        latency_p99_us=round(percentile(totals, 99), 2),
        per_check=per_check,
        per_category=dict(sorted(categories.items())),
    )


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0

