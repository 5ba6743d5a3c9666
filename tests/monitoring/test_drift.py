"""Drift reports: window against window and against a dataset version; drift as a monitor signal."""

from __future__ import annotations

import time

from genloop.datasets import DatasetService
from genloop.monitoring import DriftService, MonitorService
from genloop.store import Store
from genloop.tracing import TraceService, new_trace_id


def _write(store: Store, texts: list[str], answers: list[str], age_s: float, guard: str | None = None) -> None:
    now = time.time()
    TraceService(store).record([
        {"id": new_trace_id(), "deployment": "bot", "started_at": now - age_s + i * 0.01,
         "input": {"messages": [{"role": "user", "content": t}]}, "output": {"role": "assistant", "content": a},
         "guardrails": [{"check": "pii", "action": guard}] if guard else None}
        for i, (t, a) in enumerate(zip(texts, answers, strict=True))])


ENGLISH = [f"how do I reset my password for account number {i} please" for i in range(120)]
GERMAN = [f"wie kann ich das Passwort für mein Konto Nummer {i} ändern, bitte schnell" for i in range(120)]


def test_a_shift_in_length_language_and_topic_is_drift_and_a_stable_window_is_not(store: Store) -> None:
    _write(store, ENGLISH, ["short answer"] * 120, age_s=5400)  # the reference hour
    _write(store, GERMAN, ["a much longer answer " * 8] * 120, age_s=1800)  # the last hour
    report = DriftService(store).compare(deployment="bot", window_s=3600)
    by = {s.signal: s for s in report.signals}
    assert {"input_length", "output_length", "language", "topic"} <= set(report.drifted)
    assert by["output_length"].test == "ks" and by["output_length"].p_value < 0.01
    assert "p < 0.01" in by["language"].threshold and by["topic"].test == "psi" and "0.25" in by["topic"].threshold
    assert by["guardrail_hits"].verdict == "stable"
    assert by["input_length"].reference_count == 120 == by["input_length"].recent_count


def test_same_traffic_is_stable(store: Store) -> None:
    _write(store, ENGLISH, ["short answer"] * 120, age_s=5400)
    _write(store, ENGLISH[::-1], ["short answer"] * 120, age_s=1800)
    report = DriftService(store).compare(deployment="bot", window_s=3600, signals=["input_length", "language"])
    assert report.drifted == []


def test_guardrail_hits_and_dataset_reference(store: Store) -> None:
    _write(store, ENGLISH, ["ok"] * 120, age_s=1800, guard="redact")
    datasets = DatasetService(store)
    datasets.create("golden", [{"prompt": t, "completion": "ok"} for t in ENGLISH])
    report = DriftService(store).compare(deployment="bot", window_s=3600, reference_dataset="golden",
                                         signals=["input_length", "guardrail_hits", "language"])
    assert report.reference.startswith("dataset golden@")
    by = {s.signal: s for s in report.signals}
    assert by["guardrail_hits"].verdict == "drift"  # the dataset has no guardrail hits
    assert by["language"].verdict == "stable"


def test_drift_is_a_monitor_signal(store: Store) -> None:
    _write(store, ENGLISH, ["short"] * 120, age_s=5400)
    _write(store, ENGLISH, ["a much longer answer " * 8] * 120, age_s=1800)
    monitors = MonitorService(store)
    monitors.create({"name": "answers", "signal": "drift:output_length", "deployment": "bot", "window_s": 3600,
                     "alert": 0.5})
    info = monitors.evaluate("answers")
    assert info.state == "alert" and info.value == 1.0


def test_judge_scores_drift(store: Store) -> None:
    from genloop.feedback import FeedbackService

    _write(store, ENGLISH[:60], ["ok"] * 60, age_s=5400)
    _write(store, ENGLISH[60:], ["ok"] * 60, age_s=1800)
    traces = TraceService(store).list(limit=200).items
    feedback = FeedbackService(store)
    for t in traces:
        old = t.started_at.timestamp() < time.time() - 3600
        feedback.create(t.id, name="helpful", value=(4.0 if old else 2.0) + (hash(t.id) % 3) / 10, source="judge")
    report = DriftService(store).compare(deployment="bot", window_s=3600, signals=["score:helpful"])
    [signal] = report.signals
    assert signal.verdict == "drift" and signal.test == "ks" and signal.statistic == 1.0
    assert signal.detail["reference_mean"] > 3.9 > 2.3 > signal.detail["recent_mean"]
