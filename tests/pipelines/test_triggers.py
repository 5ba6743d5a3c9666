"""Pipeline triggers: each kind fires on new evidence only, once, records why on the run, and survives restarts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update
from tests.pipelines._helpers import CALLS, add_dataset

from genloop.errors import Conflict, InvalidInput, NotFound
from genloop.feedback import FeedbackService
from genloop.pipelines import Pipeline, PipelineService, TriggerService
from genloop.pipelines._trigger_tables import TriggerRow
from genloop.store import Store
from genloop.tracing import TraceService, new_trace_id

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday


def _echo_pipeline(store: Store, name: str = "retrain") -> None:
    p = Pipeline()
    p.step("why", "echo", value="${trigger.reason}", cache=False)
    PipelineService(store).create(name, p.spec())


def _feedback(store: Store, n: int, name: str = "thumbs") -> None:
    trace_id = new_trace_id()
    TraceService(store).record([{"id": trace_id, "deployment": "bot", "started_at": 1_700_000_000.0}])
    service = FeedbackService(store)
    for _ in range(n):
        service.create(trace_id, name=name, value=1.0)


def test_feedback_threshold_fires_once_per_evidence_and_records_why(store: Store, plugin: None) -> None:
    _echo_pipeline(store)
    _feedback(store, 3)  # before the trigger: does not count
    triggers = TriggerService(store, execute="inline")
    triggers.create({"name": "on-feedback", "pipeline": "retrain", "kind": "feedback", "threshold": 5,
                     "feedback_name": "thumbs"})
    _feedback(store, 4)
    _feedback(store, 9, name="other")  # filtered out
    assert triggers.check() == []
    _feedback(store, 1)
    [firing] = triggers.check()
    assert firing.status == "succeeded" and firing.trigger["count"] == 5 and firing.trigger["kind"] == "feedback"
    run = PipelineService(store).get_run(firing.run_id)  # type: ignore[arg-type]
    assert run.trigger is not None and run.trigger["reason"] == "5 new feedback (threshold 5)"
    assert run.step("why").outputs["value"] == "5 new feedback (threshold 5)"
    assert run.created_by == "trigger:on-feedback"
    assert triggers.check() == []  # the same evidence never fires twice
    # a new service on the same database (a restart) resumes from the stored cursor
    restarted = Store(store.settings)
    try:
        again = TriggerService(restarted, execute="inline")
        assert again.check() == []
        info = again.get("on-feedback")
    finally:
        restarted.close()
    assert info.firings == 1 and info.last_run_id == firing.run_id and not info.pending


def test_dataset_version_and_manual_firing(store: Store, plugin: None) -> None:
    _echo_pipeline(store)
    add_dataset(store, "support", n=5)
    triggers = TriggerService(store, execute="inline")
    triggers.create({"name": "on-data", "pipeline": "retrain", "kind": "dataset", "dataset": "support"})
    assert triggers.check() == []
    add_dataset(store, "support", n=6, offset=40)
    [firing] = triggers.check()
    assert firing.trigger["ref"] == "support@2" and firing.trigger["version"] == 2
    assert triggers.check() == []
    manual = triggers.fire("on-data", reason="ci: merge of #12")
    assert manual.status == "succeeded" and manual.trigger["manual"] is True
    assert manual.trigger["reason"] == "ci: merge of #12"
    assert triggers.get("on-data").firings == 2
    runs = PipelineService(store).runs("retrain").items
    assert sorted(r.trigger["firing"] for r in runs) == [1, 2]  # type: ignore[index]


def test_cron_fires_on_schedule_and_coalesces_missed_ticks(store: Store, plugin: None) -> None:
    _echo_pipeline(store)
    triggers = TriggerService(store, execute="none")
    triggers.create({"name": "nightly", "pipeline": "retrain", "kind": "cron", "cron": "0 3 * * *"})
    store.db.write(lambda s: s.execute(update(TriggerRow).values(cursor={"after": T0.isoformat()})))
    assert triggers.check(now=T0 + dt.timedelta(hours=16)) == []  # 02:00 next day: not yet
    [firing] = triggers.check(now=T0 + dt.timedelta(days=3))  # three nights missed: one run, says so
    assert firing.trigger["scheduled_for"] == "2026-03-05T03:00:00+00:00" and firing.trigger["missed"] == 2
    assert triggers.check(now=T0 + dt.timedelta(days=3)) == []
    assert triggers.get("nightly").next_fire_at == dt.datetime(2026, 3, 6, 3, 0, tzinfo=dt.UTC)


def test_pending_firing_is_finished_after_a_crash_without_a_second_run(store: Store, plugin: None) -> None:
    _echo_pipeline(store)
    triggers = TriggerService(store, execute="none")
    triggers.create({"name": "on-feedback", "pipeline": "retrain", "kind": "feedback", "threshold": 2})
    _feedback(store, 2)
    [first] = triggers.check()
    # simulate a crash after the run was created but before the firing was settled
    pending = {"key": f"trigger-{triggers.get('on-feedback').id}-1", "trigger": first.trigger, "params": {}}
    store.db.write(lambda s: s.execute(update(TriggerRow).values(pending=pending)))
    assert triggers.get("on-feedback").pending
    assert triggers.check() == []  # just fired: the checker that fired it may still be finishing it
    crashed_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    store.db.write(lambda s: s.execute(update(TriggerRow).values(last_fired_at=crashed_at)))
    [again] = triggers.check()
    assert again.run_id == first.run_id  # the same run, found by its key
    assert len(PipelineService(store).runs("retrain").items) == 1
    assert not triggers.get("on-feedback").pending


def test_a_stale_checker_does_not_fire_on_the_same_evidence(store: Store, plugin: None) -> None:
    _echo_pipeline(store)
    triggers = TriggerService(store, execute="none")
    triggers.create({"name": "on-feedback", "pipeline": "retrain", "kind": "feedback", "threshold": 1})
    _feedback(store, 1)
    stale = triggers.get("on-feedback")  # read by a second checker before the first fires
    [_fired] = triggers.check()
    late = triggers._fire(stale, {"reason": "late"}, {"id": 99})
    assert late.run_id is None and late.error and "already fired" in late.error
    assert len(PipelineService(store).runs("retrain").items) == 1


def test_bad_triggers_are_refused_before_anything_is_written(store: Store, plugin: None) -> None:
    _echo_pipeline(store)
    triggers = TriggerService(store)
    cases = [
        ({"name": "x", "pipeline": "retrain", "kind": "cron"}, "needs cron"),
        ({"name": "x", "pipeline": "retrain", "kind": "cron", "cron": "61 * * * *"}, "outside 0-59"),
        ({"name": "x", "pipeline": "retrain", "kind": "cron", "cron": "0 0 30 2 *"}, "never fires"),
        ({"name": "x", "pipeline": "retrain", "kind": "feedback", "threshold": 0}, "threshold"),
        ({"name": "x", "pipeline": "retrain", "kind": "manual", "dataset": "d"}, "takes no dataset"),
        ({"name": "x", "pipeline": "retrain", "kind": "nope"}, "kind"),
        ({"name": "x", "pipeline": "retrain", "kind": "manual", "surprise": 1}, "surprise"),
        ({"name": "bad name!", "pipeline": "retrain", "kind": "manual"}, "trigger name"),
    ]
    for spec, message in cases:
        with pytest.raises(InvalidInput, match=message):
            triggers.create(spec)
    with pytest.raises(NotFound):
        triggers.create({"name": "x", "pipeline": "missing", "kind": "manual"})
    assert triggers.list() == []
    triggers.create({"name": "x", "pipeline": "retrain", "kind": "manual"})
    with pytest.raises(Conflict, match="replace"):
        triggers.create({"name": "x", "pipeline": "retrain", "kind": "manual"})
    assert triggers.check() == []  # manual triggers fire only by hand
    triggers.set_enabled("x", False)
    triggers.delete("x")
    with pytest.raises(NotFound, match="genloop triggers list"):
        triggers.get("x")
    assert CALLS == []


def test_annotation_threshold_counts_ratings_of_one_queue(store: Store, plugin: None) -> None:
    from genloop.review import ReviewService

    _echo_pipeline(store)
    review = ReviewService(store)
    review.create_schema("grade", [{"name": "ok", "type": "boolean"}])
    for queue in ("support", "other"):
        review.create_queue(queue, "grade")
        review.add_items(queue, [{"messages": [{"role": "user", "content": f"q{i}"}], "answer": "a"}
                                 for i in range(4)])
    triggers = TriggerService(store, execute="none")
    triggers.create({"name": "rated", "pipeline": "retrain", "kind": "annotation", "threshold": 3,
                     "queue": "support"})

    def rate(queue: str, n: int) -> None:
        for _ in range(n):
            item = review.claim(queue)
            assert item is not None
            review.submit(queue, item.id, {"ok": True}, next_item=False)

    rate("other", 4)  # another queue: not counted
    rate("support", 2)
    assert triggers.check() == []
    rate("support", 1)
    [firing] = triggers.check()
    assert firing.trigger["count"] == 3 and firing.trigger["reason"] == "3 new annotations (threshold 3)"
    assert triggers.check() == []


def test_monitor_trigger_fires_on_its_levels_once_per_alert_and_skips_the_rest(store: Store, plugin: None) -> None:
    from genloop.monitoring import MonitorService
    from genloop.monitoring._tables import AlertRow, MonitorRow
    from genloop.store._registry import find_project

    _echo_pipeline(store)
    MonitorService(store).create({"name": "quality", "signal": "error_rate", "deployment": "bot", "direction": "above",
                                  "warning": 0.05, "alert": 0.2})
    triggers = TriggerService(store, execute="none")
    triggers.create({"name": "on-alert", "pipeline": "retrain", "kind": "monitor", "monitor": "quality"})

    def alert(event: str, level: str, value: float) -> None:
        # the alert history as the monitoring worker writes it (its evaluation is tested in tests/monitoring)
        def fn(session: Any) -> None:
            project = find_project(session, "default")
            monitor = session.scalar(select(MonitorRow).where(MonitorRow.name == "quality"))
            session.add(AlertRow(project_id=project.id, monitor_id=monitor.id, monitor="quality", event=event,
                                 level=level, previous="ok", value=value, threshold=0.2, count=10, message="m"))

        store.db.write(fn)

    for _ in range(3):
        alert("fired", "warning", 0.1)
        alert("resolved", "ok", 0.0)
    assert triggers.check() == []  # warnings and resolutions do not fire it (default levels: alert) ...
    assert triggers.get("on-alert").cursor["alert_id"] == 6  # ... and are skipped for good
    alert("fired", "alert", 0.3)
    alert("renotify", "alert", 0.4)
    [firing] = triggers.check()  # two alerts since the last check: one run, on the newest
    assert (firing.trigger["alert_id"], firing.trigger["alerts"], firing.trigger["value"]) == (8, 2, 0.4)
    assert triggers.check() == []
