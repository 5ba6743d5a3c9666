"""The scheduler: one leader per database (a lease row), firing due triggers; a standby takes over."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.pipelines._helpers import add_dataset
from tests.pipelines.test_triggers import _echo_pipeline, _feedback

from genloop.errors import InvalidInput
from genloop.pipelines import Pipeline, PipelineService, TriggerService
from genloop.pipelines._scheduler import Scheduler, acquire_lease, lease_holder, release_lease
from genloop.settings import Settings
from genloop.store import Store

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def test_lease_has_one_holder_until_it_expires_or_is_released(store: Store) -> None:
    assert acquire_lease(store, "a", 30, now=T0)
    assert not acquire_lease(store, "b", 30, now=T0 + dt.timedelta(seconds=10))
    assert acquire_lease(store, "a", 30, now=T0 + dt.timedelta(seconds=20))  # renewed to T0 + 50 s
    assert not acquire_lease(store, "b", 30, now=T0 + dt.timedelta(seconds=45))
    assert acquire_lease(store, "b", 30, now=T0 + dt.timedelta(seconds=51))  # a died: b takes over
    assert lease_holder(store) == ("b", T0 + dt.timedelta(seconds=81))
    assert not acquire_lease(store, "a", 30, now=T0 + dt.timedelta(seconds=60))
    release_lease(store, "a")  # not a's to release: nothing changes
    assert lease_holder(store) == ("b", T0 + dt.timedelta(seconds=81))
    release_lease(store, "b")
    assert acquire_lease(store, "a", 30)


def test_only_the_leader_fires(store: Store, plugin: None) -> None:
    _echo_pipeline(store)
    TriggerService(store).create({"name": "on-feedback", "pipeline": "retrain", "kind": "feedback", "threshold": 2})
    leader = Scheduler(store, interval=1, lease_seconds=30, monitoring=False, execute="inline", holder="one")
    standby = Scheduler(store, interval=1, lease_seconds=30, monitoring=False, execute="inline", holder="two")
    assert leader.tick().leader
    _feedback(store, 2)
    report = standby.tick()
    assert not report.leader and report.firings == []
    report = leader.tick()
    assert report.leader and [f.status for f in report.firings] == ["succeeded"]
    assert report.firings[0].trigger["reason"] == "2 new feedback (threshold 2)"
    assert leader.tick().firings == []


def test_a_lease_shorter_than_the_interval_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="must outlast"):
        Scheduler(store, interval=10, lease_seconds=5)


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENLOOP_")}
    env.update(GENLOOP_DATABASE_URL=settings.database_url, GENLOOP_HOME=str(settings.home),
               GENLOOP_ARTIFACTS_URI=str(settings.artifacts_uri), GENLOOP_ACTOR="tester")
    return env


def _wait_for(path: Path, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {path.name}: {path.read_text() if path.exists() else ''}")


def _runs_of(store: Store, n: int, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = PipelineService(store).runs("prep").items
        if len(runs) >= n:
            return [r.id for r in runs]
        time.sleep(0.1)
    raise AssertionError(f"fewer than {n} runs")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_scheduler_processes_one_fires_and_the_other_takes_over(store: Store, tmp_path: Path) -> None:
    add_dataset(store, "support", n=5)
    p = Pipeline()
    p.step("pin", "dataset", dataset="support", cache=False)
    PipelineService(store).create("prep", p.spec())
    TriggerService(store).create({"name": "on-feedback", "pipeline": "prep", "kind": "feedback", "threshold": 1})
    cmd = [sys.executable, "-m", "genloop.cli.main", "scheduler", "--interval", "0.3", "--lease", "5",
           "--no-monitoring"]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for log in logs:
            with log.open("wb") as out:
                procs.append(subprocess.Popen(cmd, env=_env(store.settings), stdout=out, stderr=subprocess.STDOUT))
            _wait_for(log, "a tick every")
        _wait_for(logs[0], "leads")
        time.sleep(1.0)  # several ticks of both
        assert "leads" not in logs[1].read_text()
        _feedback(store, 1)
        first = _runs_of(store, 1)
        time.sleep(1.0)
        assert len(PipelineService(store).runs("prep").items) == 1  # exactly one fired
        assert "fired on-feedback" in logs[0].read_text() and "fired" not in logs[1].read_text()
        procs[0].send_signal(signal.SIGKILL)  # the leader dies without releasing its lease
        procs[0].wait(10)
        _wait_for(logs[1], "leads", timeout=20)
        _feedback(store, 1)
        both = _runs_of(store, 2)
        assert first[0] in both
        _wait_for(logs[1], "fired on-feedback")
        fresh = Store(store.settings)
        holder = lease_holder(fresh)
        fresh.close()
        assert holder is not None and holder[0] in logs[1].read_text(), (lease_holder(store), holder, dt.datetime.now(dt.UTC))
        procs[1].send_signal(signal.SIGTERM)  # a clean stop gives the lease up
        assert procs[1].wait(15) == 0
        holder = lease_holder(store)
        assert holder is not None and holder[1] < dt.datetime.now(dt.UTC)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_the_server_thread_leads_and_hands_the_lease_over_on_stop(store: Store, plugin: None) -> None:
    from genloop.pipelines._scheduler import start_scheduler

    off = Store(store.settings.model_copy(update={"scheduler_interval": 0}))
    assert start_scheduler(off) is None
    off.close()
    _echo_pipeline(store)
    TriggerService(store).create({"name": "on-feedback", "pipeline": "retrain", "kind": "feedback", "threshold": 1})
    fast = Store(store.settings.model_copy(update={"scheduler_interval": 0.1, "scheduler_lease_seconds": 5}))
    scheduler = start_scheduler(fast)
    assert scheduler is not None
    try:
        _feedback(store, 1)
        deadline = time.monotonic() + 15
        while not PipelineService(store).runs("retrain").items and time.monotonic() < deadline:
            time.sleep(0.05)
        [run] = PipelineService(store).runs("retrain").items
        while run.status == "running" and time.monotonic() < deadline:  # it runs on its own thread
            time.sleep(0.05)
            run = PipelineService(store).get_run(run.id)
        assert run.status == "succeeded" and run.trigger is not None and run.trigger["trigger"] == "on-feedback"
        holder = lease_holder(store)
        assert holder is not None and holder[0] == scheduler.holder
    finally:
        scheduler.stop()
        fast.close()
    holder = lease_holder(store)
    assert holder is not None and holder[1] < dt.datetime.now(dt.UTC)  # released: a standby takes over at once


def test_the_leader_runs_the_retention_job_hourly(store: Store) -> None:
    retention = pytest.importorskip("genloop.governance._retention")
    retention.RetentionService(store).set(traces_days=30)
    scheduler = Scheduler(store, interval=1, lease_seconds=30, monitoring=False, holder="one")
    first = scheduler.tick()
    assert isinstance(first.retention, list) and len(first.retention) == 1 and first.errors == {}
    assert scheduler.tick().retention is None  # not again within the hour
    standby = Scheduler(store, interval=1, lease_seconds=30, monitoring=False, holder="two")
    assert standby.tick().retention is None
