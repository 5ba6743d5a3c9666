"""The Ray executor on a real local Ray cluster (``ray start --head`` on loopback, as a team's cluster would be
reached by address), two worker actors: the same results as the local executor."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import free_port
from tests.evals.conftest import evals_of, spec_for

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'genloop[ray]'")
#: One pytest-xdist worker runs every Ray test: two Ray instances on one machine compete for its default ports.
pytestmark = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A Ray head node with two CPUs on loopback, in its own temp dir; stopped (only it) at the end."""
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        found = shutil.which("ray")
        if not found:
            pytest.skip("the ray command is not installed")
        ray_bin = Path(found)
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths must stay under 107 bytes
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    proc = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1",
         "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={tmp}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            probe = subprocess.run([str(ray_bin), "status", f"--address={address}"], env=env,
                                   capture_output=True, text=True, timeout=60)
            if probe.returncode == 0:
                break
            if proc.poll() is not None:
                pytest.fail(f"ray start exited with {proc.returncode}")
            time.sleep(1)
        else:
            pytest.fail("the Ray head did not come up in 90 s")
        yield address
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the head's processes share its process group
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the executor, not the store, is under test
def test_ray_cluster_gives_the_local_results(local: Any, golden: str, ray_cluster: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    local.models.register("judgebot", kind="provider", uri="mock:judge",
                          config={"reply": '{"reasoning": "fine", "score": 4}'})
    spec = spec_for(golden, limit=8, judges=[{"name": "quality", "model": "judgebot"}], metrics=["exact_match"],
                    candidates=[{"name": "echo", "model": "mock:echo"}, {"name": "new", "output_column": "new"}])
    on_ray = evals_of(local).run({**spec, "executor": "ray"},
                                 executor_options={"address": ray_cluster, "workers": 2})
    assert on_ray.status == "succeeded", on_ray.error
    assert ray.is_initialized() is False  # the driver disconnected; the cluster itself keeps running
    on_local = evals_of(local).run(spec, resume=False)
    assert on_ray.spec_hash == on_local.spec_hash
    assert on_ray.metrics["echo.quality"] == on_local.metrics["echo.quality"] == 4.0
    assert on_ray.metrics["new.exact_match"] == on_local.metrics["new.exact_match"]
    assert on_ray.metrics["echo.exact_match"] == on_local.metrics["echo.exact_match"]
    ray_items = [(i.example_id, i.candidate, i.output, i.scores) for i in evals_of(local).items(on_ray.run_id, 0, 50).items]
    local_items = [(i.example_id, i.candidate, i.output, i.scores)
                   for i in evals_of(local).items(on_local.run_id, 0, 50).items]
    assert ray_items == local_items and len(ray_items) == 16
