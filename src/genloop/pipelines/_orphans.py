"""Pipeline runs whose process died: found and ended, so they can be resumed.

A run started in-process (``genloop pipelines run``, a server's REST call, a trigger) records the process that
executes it (host, pid and, on Linux, the process's start time, so a reused pid is not taken for it). A process
that is killed or restarted records no outcome, and its run would say ``running`` forever (and refuse
``--resume``). :func:`recover_orphans` ends every such run whose process is gone on this host: its running step
and the run become ``failed`` with the reason, pending steps ``skipped``. The scheduler calls it each tick (one
leader per database; a run of another host is left to a scheduler there, or to ``genloop pipelines finish``).
Runs started by an orchestrator (``pipelines start --key``) record no process: their exit handler ends them.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from sqlalchemy import select

from genloop.store import Store

__all__ = ["executor_of_this_process", "recover_orphans"]

log = logging.getLogger("genloop.pipelines")


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[19])  # field 22 of stat; the first two (pid, comm) are before the split
    except (OSError, IndexError, ValueError):
        return None


def executor_of_this_process() -> dict[str, Any]:
    """``{"host", "pid", "started"}`` of the calling process (what a run records about who executes it)."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": _start_time(pid)}


def _alive(executor: dict[str, Any]) -> bool:
    pid = executor.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True  # nothing to judge by: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process with that pid exists
        pass
    recorded, now = executor.get("started"), _start_time(pid)
    return recorded is None or now is None or recorded == now


def recover_orphans(store: Store) -> list[str]:
    """End the ``running`` pipeline runs of this host whose executing process is gone; returns their ids."""
    from genloop.pipelines._service import PipelineService
    from genloop.runs._tables import RunRow
    from genloop.store._registry import Project

    host = socket.gethostname()
    with store.db.read() as session:
        rows = session.execute(select(RunRow.id, RunRow.params, Project.name)
                               .join(Project, Project.id == RunRow.project_id)
                               .where(RunRow.kind == "pipeline", RunRow.status == "running")).all()
    ended = []
    for run_id, params, project in rows:
        executor = (params or {}).get("executor")
        if not isinstance(executor, dict) or executor.get("host") != host or _alive(executor):
            continue
        reason = f"interrupted: the process running it (pid {executor.get('pid')} on {host}) ended"
        try:
            PipelineService(store, project, "scheduler").finish_run(run_id, reason=reason)
        except Exception:  # one run that cannot be ended must not stop the others
            log.exception("could not end the orphaned pipeline run %s", run_id)
            continue
        log.warning("pipeline run %s of project %s: %s; resume it with --resume", run_id, project, reason)
        ended.append(run_id)
    return ended
