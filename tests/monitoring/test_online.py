"""Online evaluators: deterministic shared sample, delay, cursor and restart, judge down, budgets, scores."""

from __future__ import annotations

import datetime as dt

import pytest

from genloop.errors import Conflict, InvalidInput
from genloop.feedback import FeedbackService
from genloop.monitoring import EvaluatorService, MonitoringWorker, in_sample
from genloop.providers import MockProvider
from genloop.store import Store, utcnow


def later(seconds: float = 120.0):  # type: ignore[no-untyped-def]
    """A worker clock ``seconds`` ahead: the traces just written are past their evaluators' delay."""
    return lambda: utcnow() + dt.timedelta(seconds=seconds)

JUDGE_REPLY = '{"reasoning": "fine", "score": 4}'


def _judged(store: Store, name: str) -> list:  # type: ignore[type-arg]
    return [f for f in FeedbackService(store).list(name=name, limit=1000).items]


def test_metric_evaluator_scores_the_sample_once_and_resumes_after_a_restart(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    ids = traces(120)
    service = EvaluatorService(store)
    service.create({"name": "length", "deployment": "bot", "metric": "length", "sample_rate": 0.5, "delay_s": 5})
    report = MonitoringWorker(store, clock=later()).tick()
    expected = {t for t in ids if in_sample(t, 0.5)}
    assert 30 < len(expected) < 90
    got = _judged(store, "length")
    assert {f.trace_id for f in got} == expected and report.scored == len(expected)
    assert all(f.source == "judge" and f.metadata["evaluator"] == "length" for f in got)
    newer = traces(40)
    assert MonitoringWorker(store, clock=later()).tick().scored == len({t for t in newer if in_sample(t, 0.5)})  # a new worker
    assert len(_judged(store, "length")) == len(expected | {t for t in newer if in_sample(t, 0.5)})
    points = service.scores("length")
    assert {p.variant for p in points} == {"main", "canary"}
    assert sum(p.count for p in points) == len(_judged(store, "length"))


def test_delay_and_filters_leave_traces_for_later(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    traces(20, variants=("canary",))
    traces(20, variants=("main",))
    traces(20, deployment="other", variants=("canary",))
    traces(20, variants=("canary",), status="error")
    EvaluatorService(store).create({"name": "len-main", "deployment": "bot", "variant": "canary", "metric": "length",
                                    "sample_rate": 1.0, "delay_s": 60})
    assert MonitoringWorker(store, clock=later(30)).tick().scored == 0  # stored 30 s ago: inside the delay
    MonitoringWorker(store, clock=later(61)).tick()
    assert len(_judged(store, "len-main")) == 20
    assert EvaluatorService(store).get("len-main").cursor_id is not None


def test_evaluators_at_one_rate_share_their_sample(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    traces(100)
    service = EvaluatorService(store)
    for name, metric in (("a", "length"), ("b", "latency")):
        service.create({"name": name, "deployment": "bot", "metric": metric, "sample_rate": 0.3, "delay_s": 0})
    MonitoringWorker(store, clock=later()).tick()
    assert {f.trace_id for f in _judged(store, "a")} == {f.trace_id for f in _judged(store, "b")}


def test_judge_scores_then_a_judge_that_is_down_records_nothing_and_catches_up(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    ids = traces(30)
    EvaluatorService(store).create({"name": "helpful", "deployment": "bot", "judge": {"model": "mock:judge"},
                                    "sample_rate": 1.0, "delay_s": 0, "max_calls_per_minute": 1000})
    down = MockProvider(fail_rate=1.0, fail_status=503)
    worker = MonitoringWorker(store, clock=later(), providers={"mock": down})
    report = worker.tick()
    assert report.scored == 0 and report.evaluator_errors
    assert _judged(store, "helpful") == []
    info = EvaluatorService(store).get("helpful")
    assert info.cursor_id is None and "503" in (info.last_error or "")
    worker.scorer.providers = {"mock": MockProvider(reply=JUDGE_REPLY)}
    assert worker.tick().scored == 30
    got = _judged(store, "helpful")
    assert {f.trace_id for f in got} == set(ids) and {f.value for f in got} == {4.0}
    assert got[0].metadata["judge"] == "mock:judge" and EvaluatorService(store).get("helpful").last_error is None


def test_unreadable_judge_answers_record_nothing_and_are_passed_over(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    traces(10)
    EvaluatorService(store).create({"name": "helpful", "deployment": "bot", "judge": {"model": "mock:judge"},
                                    "sample_rate": 1.0, "delay_s": 0})
    report = MonitoringWorker(store, clock=later(), providers={"mock": MockProvider(reply="no idea")}).tick()
    assert (report.scored, report.skipped) == (0, 10) and _judged(store, "helpful") == []
    assert EvaluatorService(store).get("helpful").cursor_id is not None


def test_calls_per_minute_budget_defers_the_rest(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    traces(20)
    EvaluatorService(store).create({"name": "helpful", "deployment": "bot", "judge": {"model": "mock:judge"},
                                    "sample_rate": 1.0, "delay_s": 0, "max_calls_per_minute": 6})
    worker = MonitoringWorker(store, clock=later(), providers={"mock": MockProvider(reply=JUDGE_REPLY)})
    assert worker.tick().scored == 6
    assert len(_judged(store, "helpful")) == 6


def test_cost_cap_per_day_stops_judge_calls_and_the_rest_waits(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    from genloop.providers import PriceTable

    traces(12)
    EvaluatorService(store).create({"name": "helpful", "deployment": "bot", "judge": {"model": "mock:judge"},
                                    "sample_rate": 1.0, "delay_s": 0, "max_cost_per_day": 0.25, "concurrency": 1})
    priced = MockProvider(reply=JUDGE_REPLY, prices=PriceTable({"mock:judge": {"input": 1000.0, "output": 0.0}}))
    worker = MonitoringWorker(store, clock=later(), providers={"mock": priced})
    first = worker.tick()
    info = EvaluatorService(store).get("helpful")
    per_call = info.spent_today_usd / max(first.scored, 1)
    assert 0 < first.scored < 12 and info.spent_today_usd >= 0.25 > info.spent_today_usd - per_call
    assert "cost cap" in (info.last_error or "")
    assert worker.tick().scored == 0 and len(_judged(store, "helpful")) == first.scored  # the rest waits


def test_bad_specs_are_refused(store: Store) -> None:
    service = EvaluatorService(store)
    with pytest.raises(InvalidInput, match="exactly one of metric and judge"):
        service.create({"name": "x", "deployment": "bot"})
    with pytest.raises(InvalidInput, match="sample_rate"):
        service.create({"name": "x", "deployment": "bot", "metric": "length", "sample_rate": 0})
    with pytest.raises(InvalidInput, match="no-such-metric"):
        service.create({"name": "x", "deployment": "bot", "metric": "no-such-metric"})
    service.create({"name": "x", "deployment": "bot", "metric": "length"})
    with pytest.raises(Conflict):
        service.create({"name": "x", "deployment": "bot", "metric": "length"})
    assert service.create({"name": "x", "deployment": "bot", "metric": "latency"}, replace=True).spec.metric == "latency"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # HTTP faults, not SQL
def test_a_judge_behind_a_real_upstream_down_then_up(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    """The judge is a registry model served by the mock upstream over HTTP; while it answers 503 nothing is
    recorded, and once it answers every sampled trace is scored."""
    from genloop.models import ModelService
    from genloop.providers.mock_upstream import MockUpstreamServer

    ids = traces(12)
    with MockUpstreamServer(fail_rate=1.0, fail_status=503, retry_after=0.0) as down:
        ModelService(store).register("judge", kind="provider", uri="openai:mock-model", base_url=down.url + "/v1")
        EvaluatorService(store).create({"name": "helpful", "deployment": "bot", "judge": {"model": "judge@1"},
                                        "sample_rate": 1.0, "delay_s": 0})
        report = MonitoringWorker(store, clock=later()).tick()
    assert report.scored == 0 and _judged(store, "helpful") == []
    assert EvaluatorService(store).get("helpful").last_error
    with MockUpstreamServer(reply=JUDGE_REPLY) as up:
        ModelService(store).register("judge", kind="provider", uri="openai:mock-model", base_url=up.url + "/v1")
        EvaluatorService(store).create({"name": "helpful", "deployment": "bot", "judge": {"model": "judge@2"},
                                        "sample_rate": 1.0, "delay_s": 0}, replace=True)
        assert MonitoringWorker(store, clock=later()).tick().scored == 12
    assert {f.trace_id for f in _judged(store, "helpful")} == set(ids)


def test_a_metric_that_fails_on_an_output_records_nothing_for_it(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    traces(5)
    EvaluatorService(store).create({"name": "shape", "deployment": "bot", "metric": {"name": "json_schema"},
                                    "sample_rate": 1.0, "delay_s": 0})
    report = MonitoringWorker(store, clock=later()).tick()
    assert (report.scored, report.skipped) == (0, 5) and _judged(store, "shape") == []
    info = EvaluatorService(store).get("shape")
    assert info.cursor_id is not None and "has no schema" in (info.last_error or "")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # refused before any SQL
def test_a_judge_spec_the_engine_refuses_is_refused_at_create(store: Store) -> None:
    with pytest.raises(InvalidInput, match="scale"):
        EvaluatorService(store).create({"name": "j", "deployment": "bot",
                                        "judge": {"model": "mock:x", "scale": [5, 1]}})


def test_scores_accept_a_naive_since(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    traces(4)
    EvaluatorService(store).create({"name": "length", "deployment": "bot", "metric": "length", "sample_rate": 1.0})
    MonitoringWorker(store, clock=later()).tick()
    naive = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=2)  # a query string without zone
    assert sum(p.count for p in EvaluatorService(store).scores("length", since=naive)) == 4


def test_the_worker_thread_ticks_until_stopped(store: Store, traces) -> None:  # type: ignore[no-untyped-def]
    import time

    traces(6, stored_age_s=60)
    EvaluatorService(store).create({"name": "length", "deployment": "bot", "metric": "length", "sample_rate": 1.0,
                                    "delay_s": 0})
    worker = MonitoringWorker(store)
    worker.start(0.05)
    try:
        deadline = time.monotonic() + 10
        while len(_judged(store, "length")) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert len(_judged(store, "length")) == 6


def test_a_backlog_longer_than_a_page_is_read_in_one_tick(store: Store, traces, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import genloop.monitoring._online as online

    monkeypatch.setattr(online, "_PAGE", 10)
    ids = traces(60)
    EvaluatorService(store).create({"name": "length", "deployment": "bot", "metric": "length", "sample_rate": 0.2,
                                    "delay_s": 0})
    MonitoringWorker(store, clock=later()).tick()
    assert {f.trace_id for f in _judged(store, "length")} == {t for t in ids if in_sample(t, 0.2)}
    assert MonitoringWorker(store, clock=later()).tick().scored == 0  # nothing left behind the cursor
