"""Concurrent writers in separate processes get consecutive version numbers: no duplicate, none lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from genloop.prompts import PromptService
from genloop.store import Store

WORKERS = 3
PER_WORKER = 8

# Each worker opens the store, says "ready" and waits for the file "go1"; then it creates PER_WORKER
# versions of distinct content as fast as it can, says "done", waits for "go2", and creates one
# version whose content every worker writes at once (so the dedupe path races too).
WORKER = """
import os, sys, time
from genloop.prompts import PromptService
from genloop.settings import Settings
from genloop.store import Store

url, home, gate, worker, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
store = Store(Settings(home=home, database_url=url, actor=f"worker{worker}"))
service = PromptService(store, project="race")

def wait(name):
    while not os.path.exists(gate + name):
        time.sleep(0.002)

print("ready", flush=True)
wait("1")
for i in range(count):
    v = service.create("shared", template=f"worker {worker} item {i}: {{{{ text }}}}", message=f"w{worker}-{i}")
    print(v.version, flush=True)
print("done", flush=True)
wait("2")
print("same", service.create("shared", template="the same {{ text }}").version, flush=True)
store.close()
"""


def test_concurrent_processes_get_consecutive_versions(store: Store, tmp_path: Path) -> None:
    url, gate = store.settings.resolved_database_url, str(tmp_path / "go")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(tmp_path / f"home{w}"), gate, str(w), str(PER_WORKER)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for w in range(WORKERS)
    ]
    reported: list[int] = []
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        Path(gate + "1").touch()
        for proc in procs:
            assert proc.stdout is not None
            while (line := proc.stdout.readline().strip()) != "done":
                assert line.isdigit(), line + (proc.stderr.read() if proc.stderr else "")
                reported.append(int(line))
        total = WORKERS * PER_WORKER
        versions = PromptService(store, project="race").versions("shared", limit=1000).items
        assert sorted(v.version for v in versions) == list(range(1, total + 1))  # consecutive, no duplicate
        assert sorted(reported) == list(range(1, total + 1))  # each writer got back the version it made
        messages = {v.message for v in versions}
        assert messages == {f"w{w}-{i}" for w in range(WORKERS) for i in range(PER_WORKER)}  # none lost

        Path(gate + "2").touch()
        outputs = [proc.communicate(timeout=60) for proc in procs]
        assert all(proc.returncode == 0 for proc in procs), [err for _, err in outputs]
        assert {out.strip() for out, _ in outputs} == {f"same {total + 1}"}  # one version for all of them
        assert PromptService(store, project="race").get("shared").version == total + 1
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
