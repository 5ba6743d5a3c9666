"""Run one step in a subprocess: ``python -m genloop.cli.main pipelines step RUN STEP`` on the same store.

The child reads and writes the step's state in the store itself (as a Kubeflow or Argo container does); the
parent keeps the child's output as the step's log and marks the step failed when the child died without
recording an outcome.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from genloop.errors import Conflict
from genloop.pipelines._tables import PipelineStepRow
from genloop.store import utcnow

__all__ = ["run_step_process", "step_command"]


def step_command(run_id: str, step: str, project: str) -> list[str]:
    """The command line that runs one step (the container entrypoint's arguments after ``genloop``)."""
    return ["pipelines", "step", run_id, step, "--project", project]


def run_step_process(service: Any, run_id: str, step: str, *, timeout: float | None = None) -> PipelineStepRow:
    settings = service.store.settings
    env = {**os.environ, "GENLOOP_DATABASE_URL": settings.resolved_database_url,
           "GENLOOP_ARTIFACTS_URI": settings.resolved_artifacts_uri, "GENLOOP_HOME": str(settings.resolved_home),
           "GENLOOP_ACTOR": service.actor}
    env.pop("GENLOOP_SERVER_URL", None)
    command = [sys.executable, "-m", "genloop.cli.main", *step_command(run_id, step, service.project)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        output, code = (done.stdout + done.stderr).strip(), done.returncode
    except subprocess.TimeoutExpired as exc:
        tail = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        output, code = f"timed out after {timeout} s: {tail}", -1
    row = service.step_rows(run_id)[step]
    log = "\n".join(filter(None, [row.log, f"[process exit {code}]", output[-16_000:]]))
    if row.status in ("pending", "running"):  # the child died before recording an outcome
        if row.step_run_id:
            try:
                service.client.runs.finish(row.step_run_id, "failed", error=f"step process exited {code}")
            except Conflict:  # already finished by the child
                pass
        return service.update_step(run_id, step, status="failed", log=log, ended_at=utcnow(),
                                   error=f"the step process exited with code {code}: {output[-500:]}")
    return service.update_step(run_id, step, log=log)
