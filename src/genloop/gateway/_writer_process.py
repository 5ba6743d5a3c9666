"""The trace writer process: the gateway spools, this process writes the spool to the store.

With ``GENLOOP_TRACE_WRITER=process`` (the default) each gateway process starts one child,
``python -m genloop.gateway._writer_process``, and restarts it if it dies. Every child of one spool root competes
for its writer lock, so with ``--workers N`` one writes and the others stand by. A child exits when its parent
gateway does (after a last pass), so none outlives the server. ``genloop trace-writer`` runs the same loop alone,
for a spool on a volume that a separate writer deployment drains.

The child applies what a commit means for keys: their spend is added in the same transaction, and with Redis the
replicas' shared pending spend is reduced by what committed.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from genloop.auth import KeyService
from genloop.settings import Settings
from genloop.store import Store
from genloop.tracing._drain import SpoolDrainer

__all__ = ["WriterSupervisor", "key_spend", "run_trace_writer", "settings_env"]

log = logging.getLogger("genloop.gateway")


def key_spend(records: list[dict[str, Any]]) -> dict[str, float]:
    """USD spent per API key id in ``records``."""
    spend: dict[str, float] = {}
    for rec in records:
        if rec.get("api_key") and rec.get("cost_usd"):
            spend[rec["api_key"]] = spend.get(rec["api_key"], 0.0) + rec["cost_usd"]
    return spend


def add_spend(session: Session, records: list[dict[str, Any]]) -> None:
    """Add the committed traces' cost to their keys, in the commit's transaction."""
    spend = key_spend(records)
    if spend:
        KeyService.add_spend(session, spend)


def run_trace_writer(settings: Settings, should_stop: Callable[[], bool]) -> None:
    """Drain ``settings``' spool root into its store until ``should_stop()`` (then one last pass)."""
    store = Store(settings)
    after_commit = None
    if settings.redis_url:
        from genloop.gateway._shared import SharedRateLimiter, connect_redis

        limiter = SharedRateLimiter(connect_redis(settings.redis_url))

        def after_commit(records: list[dict[str, Any]]) -> None:
            for key_id, usd in key_spend(records).items():
                limiter.reset_spend(key_id, usd)

    drainer = SpoolDrainer(store, settings.resolved_trace_spool_dir, batch_size=settings.trace_batch_size,
                           interval=settings.trace_flush_interval, fsync=settings.trace_spool_fsync,
                           on_commit=add_spend, after_commit=after_commit)
    try:
        drainer.run(should_stop)
    finally:
        store.close()


def settings_env(settings: Settings) -> dict[str, str]:
    """``GENLOOP_*`` variables that rebuild ``settings`` in a child process (secrets come from the environment)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        field = type(settings).model_fields[name]
        if value is None or "SecretStr" in str(field.annotation):
            continue
        env[f"GENLOOP_{name.upper()}"] = (json.dumps(value) if isinstance(value, dict | list) else
                                          ("true" if value is True else "false" if value is False else str(value)))
    return env


class WriterSupervisor:
    """Starts the writer child of one gateway process and restarts it when it dies, until :meth:`stop`.

    The child runs ``niceness`` steps below the gateway's CPU priority: when the cores are busy the event loop
    goes first, and the writer catches up in the gaps (what it has not written yet waits in the spool, on disk).
    """

    niceness = 10

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="genloop-trace-writer-supervisor", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _spawn(self) -> None:
        env = {**os.environ, **settings_env(self.settings)}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "genloop.gateway._writer_process", "--parent", str(os.getpid())], env=env,
            stdin=subprocess.DEVNULL)
        if self.niceness:
            try:
                os.setpriority(os.PRIO_PROCESS, self._proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + self.niceness)
            except OSError as exc:  # not fatal: the writer then competes with the loop at equal priority
                log.warning("could not lower the trace writer's priority: %s", exc)

    def _watch(self) -> None:
        backoff = 0.5
        while not self._stop.wait(0.5):
            proc = self._proc
            if proc is None or proc.poll() is None:
                continue
            log.error("the trace writer process exited with %s; starting it again", proc.returncode)
            if self._stop.wait(backoff):
                return
            self.restarts += 1
            backoff = min(10.0, backoff * 2)
            self._spawn()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the child to finish its pass and exit; kill it if it does not within ``timeout``."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def main(argv: list[str] | None = None) -> None:
    """The child's entry point: ``python -m genloop.gateway._writer_process [--parent PID]``."""
    args = sys.argv[1:] if argv is None else argv
    parent = int(args[args.index("--parent") + 1]) if "--parent" in args else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s genloop-trace-writer %(levelname)s %(message)s")

    def should_stop() -> bool:
        return stop.is_set() or (parent is not None and os.getppid() != parent)

    while not should_stop():
        try:
            run_trace_writer(Settings(), should_stop)
        except Exception:  # the store may be unreachable at start: keep trying rather than lose the spool
            log.exception("the trace writer failed; retrying in 2 s")
            time.sleep(2)


if __name__ == "__main__":
    main()
