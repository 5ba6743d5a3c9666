"""The regex metric cannot stall a process on a pathological pattern (Python's re took 1.37 s on 24 characters)."""

from __future__ import annotations

import time

from genloop.evals.metrics._text import Regex


def test_nested_repetition_scores_quickly() -> None:
    metric = Regex(pattern=r"(a+)+$", mode="search")
    start = time.process_time()
    score = metric.score("a" * 40 + "b")
    assert score.value == 0.0
    assert metric.score("aaaa").value == 1.0
    assert time.process_time() - start < 2.0  # re: ~2**40 steps; regex: bounded, and a timeout behind it


def test_flags_and_modes_still_work() -> None:
    assert Regex(pattern=r"^HELLO", flags="i", mode="match").score("hello there").value == 1.0
    assert Regex(pattern=r"\d+", mode="fullmatch").score("12a").value == 0.0
    assert Regex().score("2026-12-04", reference=r"\d{4}-\d{2}-\d{2}").value == 1.0
