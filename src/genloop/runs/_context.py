"""``with client.runs.run(kind=...) as run:``: a run that finishes itself, the same locally and remotely.

:class:`ActiveRun` only calls the public methods of the runs API it was given (the in-process
:class:`~genloop.runs.RunService` or the REST twin), so both behave identically by construction.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genloop.runs._schemas import MetricPoint, Run, RunArtifact

__all__ = ["ActiveRun"]


class ActiveRun:
    """A run started on ``__enter__`` and finished on ``__exit__``: succeeded, or failed with the error message.

    A ``KeyboardInterrupt`` finishes it as cancelled. Put results in :attr:`summary` to have them stored
    when the run finishes; call :meth:`finish` yourself to choose the outcome.
    """

    def __init__(self, api: Any, *, kind: str, name: str = "", params: dict[str, Any] | None = None,
                 inputs: Sequence[str] = ()) -> None:
        self._api = api
        self._spec = {"kind": kind, "name": name, "params": params, "inputs": list(inputs)}
        self.info: Run | None = None
        self.summary: dict[str, Any] = {}
        self._finished = False

    @property
    def id(self) -> str:
        """The run id (available inside the ``with`` block)."""
        if self.info is None:
            raise RuntimeError("the run has not started; use it as `with client.runs.run(...) as run:`")
        return self.info.id

    def __enter__(self) -> ActiveRun:
        self.info = self._api.start(self._spec["kind"], name=self._spec["name"], params=self._spec["params"],
                                    inputs=self._spec["inputs"])
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._finished or self.info is None:
            return
        if exc is None:
            status, error = "succeeded", None
        elif isinstance(exc, KeyboardInterrupt):
            status, error = "cancelled", "interrupted"
        else:
            status, error = "failed", str(exc) or type(exc).__name__
        try:
            self.finish(status, error=error)
        except Exception as finish_error:
            if exc is None:
                raise
            # the block's own exception matters more; keep the bookkeeping failure as a note on it
            exc.add_note(f"genloop: could not record run {self.id} as {status}: {finish_error}")

    # -- the runs API, bound to this run ----------------------------------------------------------

    def log_params(self, params: dict[str, Any]) -> None:
        """Merge ``params`` into the run's parameters."""
        self._api.log_params(self.id, params)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Set scalar metrics; with ``step``, also append each to its series."""
        self._api.log_metrics(self.id, metrics, step=step)

    def log_series(self, key: str, points: Iterable[MetricPoint | tuple[int, float] | dict[str, Any]]) -> None:
        """Append ``(step, value)`` points to the series ``key``."""
        self._api.log_series(self.id, key, points)

    def log_artifact(self, name: str, local_path: str | os.PathLike[str]) -> RunArtifact:
        """Store a local file as artifact ``name``."""
        return self._api.log_artifact(self.id, name, local_path)  # type: ignore[no-any-return]

    def add_input(self, ref: str) -> str:
        """Record a version the run read (typed ref); returns the concrete ref."""
        return self._api.add_input(self.id, ref)  # type: ignore[no-any-return]

    def add_output(self, ref: str) -> str:
        """Record a version the run wrote (typed ref); returns the concrete ref."""
        return self._api.add_output(self.id, ref)  # type: ignore[no-any-return]

    def download_artifact(self, name: str, dest: str | os.PathLike[str]) -> Path:
        """Copy artifact ``name`` to ``dest``; returns the file written."""
        return self._api.download_artifact(self.id, name, dest)  # type: ignore[no-any-return]

    def refresh(self) -> Run:
        """Read the run again (params, metrics, artifacts... as stored now)."""
        self.info = self._api.get(self.id)
        return self.info

    def finish(self, status: str = "succeeded", error: str | None = None,
               summary: dict[str, Any] | None = None) -> Run:
        """Finish now (the ``with`` block then leaves the outcome alone)."""
        merged = {**self.summary, **(summary or {})}
        self.info = self._api.finish(self.id, status=status, error=error, summary=merged or None)
        self._finished = True
        return self.info

    def __repr__(self) -> str:
        state = self.info.status if self.info else "not started"
        return f"ActiveRun(kind={self._spec['kind']!r}, id={self.info.id if self.info else None!r}, {state})"
