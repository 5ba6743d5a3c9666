"""A policy's own regex never stalls the server: a catastrophic pattern stops at its time limit and fails closed."""

from __future__ import annotations

import time

from genloop.guardrails import PromptInjectionCheck, RegexCheck

EVIL = r"(a|aa)+$"  # backtracks exponentially, with Python's re and with the regex package alike
TEXT = "a" * 60 + "!"


def test_catastrophic_regex_check_stops_and_fails_closed() -> None:
    check = RegexCheck(pattern=EVIL)
    started = time.perf_counter()
    (finding,) = check.scan(TEXT)
    assert time.perf_counter() - started < 2
    assert (finding.start, finding.end) == (0, len(TEXT)) and "timed out" in (finding.evidence or "")
    assert [(f.start, f.end) for f in RegexCheck(pattern=r"ORD-\d+", flags="i").scan("x ord-12 y")] == [(2, 8)]


def test_catastrophic_custom_injection_pattern_stops_and_counts_as_a_hit() -> None:
    check = PromptInjectionCheck(patterns={"evil": {"pattern": EVIL, "weight": 0.9}}, disable=[])
    started = time.perf_counter()
    findings = check.scan(TEXT)
    assert time.perf_counter() - started < 2
    assert [f.kind for f in findings] == ["evil"]
