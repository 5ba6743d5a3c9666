"""A pipeline run whose process is killed does not stay `running`: the scheduler on that host ends it (the step
that was running failed with the reason, the rest skipped) and it can be resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tests.pipelines.test_triggers_scheduler import _env

from genloop.errors import Conflict
from genloop.pipelines import PipelineService
from genloop.pipelines._scheduler import Scheduler
from genloop.store import Store

FLOW = {"steps": [{"name": "a", "kind": "echo", "params": {"value": "x"}},
                  {"name": "b", "kind": "hang", "params": {"value": "${steps.a.value}"}, "cache": False},
                  {"name": "c", "kind": "echo", "params": {"value": "${steps.b.value}"}, "cache": False}]}

CHILD = textwrap.dedent("""
    import types
    from tests.pipelines._helpers import register_pipeline_steps
    from genloop.pipelines import PipelineService
    from genloop.pipelines._kinds import reset_kinds
    from genloop.plugins import get_plugin_manager
    from genloop.store import Store

    module = types.ModuleType("child_plugin")
    module.register_pipeline_steps = register_pipeline_steps
    get_plugin_manager().register(module, name="child_plugin")
    reset_kinds()
    PipelineService(Store()).start("flow")
""")


def _wait_for(path: Path, child: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert child.poll() is None and time.monotonic() < deadline, (
            f"the child never reached the hanging step: {log.read_text()[-2000:]}")
        time.sleep(0.05)


def test_a_killed_run_is_ended_by_the_scheduler_and_resumed(store: Store, plugin: None, tmp_path: Path) -> None:
    service = PipelineService(store)
    service.create("flow", FLOW)
    scheduler = Scheduler(store, interval=0.5, lease_seconds=5)
    marker = tmp_path / "hanging"
    env = {**_env(store.settings), "GENLOOP_TEST_HANG_MARKER": str(marker), "PYTHONPATH": os.getcwd()}
    with (tmp_path / "child.log").open("wb") as log:
        child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(marker, child, tmp_path / "child.log")
        running = service.runs("flow").items[0]
        assert running.status == "running" and running.step("b").status == "running"
        assert scheduler.tick().recovered == []  # its process is alive
        with pytest.raises(Conflict, match="still running"):
            service.start("flow", resume=running.id)
        child.send_signal(signal.SIGKILL)  # no handler runs: nothing records an outcome
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)

    report = scheduler.tick()
    assert report.leader and report.recovered == [running.id]
    ended = service.get_run(running.id)
    assert ended.status == "failed" and f"pid {child.pid}" in (ended.error or "")
    assert [s.status for s in ended.steps] == ["succeeded", "failed", "skipped"]
    assert "interrupted: the process running it" in (ended.step("b").error or "")
    assert scheduler.tick().recovered == []  # ended once

    resumed = service.start("flow", resume="latest")  # this process: the hang step returns at once
    assert resumed.status == "succeeded" and resumed.resumed_from == running.id
    assert [s.status for s in resumed.steps] == ["reused", "succeeded", "succeeded"]


def test_a_run_of_another_host_or_without_a_process_is_left_alone(store: Store, plugin: None) -> None:
    service = PipelineService(store)
    service.create("flow", FLOW)
    elsewhere = service.create_run("flow", executor={"host": "another-host", "pid": 1, "started": 1})
    orchestrated = service.create_run("flow", key="argo-run-1")  # its exit handler ends it
    assert Scheduler(store, interval=0.5, lease_seconds=5).tick().recovered == []
    assert {service.get_run(r.id).status for r in (elsewhere, orchestrated)} == {"running"}
