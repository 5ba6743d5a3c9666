"""Erasure: delete one end user's (or one session's) traces, spans and feedback, and mark exported rows.

Traces carry ``user_id`` and ``session_id`` (set by the gateway from the request). Deletion reuses the
batched :func:`genloop.governance._retention.purge_traces`. Datasets exported from feedback are immutable
versions; their lineage (``run_refs``: a feedback-export run reads ``trace`` inputs and writes a ``dataset``
output) names the traces they came from, so each dataset version built from an erased trace gets the tag
``erased-data`` and is listed in the result, for its owner to rebuild or delete. One audit event records
the erasure (the selector and the counts, never the erased content). The selector is kept too
(``trace_erasures``, written before the deletion): a trace of that subject that started before the erasure but
was still in a gateway's spool is dropped when the writer reaches it, not stored after the erasure.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Hint, InvalidInput
from genloop.governance._retention import DEFAULT_BATCH, purge_traces
from genloop.store import Store, utcnow
from genloop.store._registry import ensure_project, find_project, record_audit

__all__ = ["ERASED_TAG", "ErasureResult", "erase"]

#: Tag added to a dataset version that holds rows exported from an erased trace.
ERASED_TAG = "erased-data"


class ErasureResult(BaseModel):
    """What an erasure deleted and which exported dataset versions it marked."""

    project: str
    user_id: str | None = None
    session_id: str | None = None
    traces: int = 0
    spans: int = 0
    feedback: int = 0
    batches: int = 0
    marked_datasets: list[str] = Field(default_factory=list, description="NAME@VERSION tagged erased-data")


def erase(store: Store, project: str, *, user_id: str | None = None, session_id: str | None = None,
          actor: str | None = None, batch_size: int = DEFAULT_BATCH) -> ErasureResult:
    """Delete the traces of ``user_id`` and/or ``session_id`` (both given: traces matching both) in ``project``."""
    from genloop.tracing._tables import TraceErasureRow, TraceRow

    user_id, session_id = (user_id or "").strip() or None, (session_id or "").strip() or None
    if user_id is None and session_id is None:
        raise InvalidInput("erasure needs a user id or a session id",
                           hint=Hint(cli="pass --user USER_ID or --session SESSION_ID",
                                     sdk="pass user_id=... or session_id=...",
                                     rest='send "user_id" or "session_id"'))
    actor = actor or store.default_actor
    result = ErasureResult(project=project, user_id=user_id, session_id=session_id)

    def tombstone(session: Session) -> None:  # first: a trace still in a spool is dropped when it arrives
        session.add(TraceErasureRow(project_id=ensure_project(session, project, actor).id, user_id=user_id,
                                    session_id=session_id, erased_at=utcnow()))

    store.db.write(tombstone)
    with store.db.read() as session:
        found = find_project(session, project)
    if found is not None:
        query = select(TraceRow.id).where(TraceRow.project_id == found.id)
        if user_id is not None:
            query = query.where(TraceRow.user_id == user_id)
        if session_id is not None:
            query = query.where(TraceRow.session_id == session_id)
        gone = purge_traces(store, result, batch_size, lambda: query)
        result.marked_datasets = _mark_exports(store, found.id, gone)

    def audit(session: Session) -> None:
        record_audit(session, ensure_project(session, project, actor), actor, "erase", "privacy",
                     user_id or session_id or "", after=result.model_dump(exclude={"project"}))

    store.db.write(audit)
    return result


def _mark_exports(store: Store, project_id: int, trace_ids: list[str]) -> list[str]:
    """Tag the dataset versions written by runs that read any of ``trace_ids``; return them as NAME@V."""
    if not trace_ids:
        return []
    from genloop.datasets._tables import DatasetRow, DatasetVersionRow
    from genloop.runs._tables import RunRefRow

    def write(session: Session) -> list[str]:
        runs: set[str] = set()
        for start in range(0, len(trace_ids), 500):
            chunk = trace_ids[start:start + 500]
            runs.update(session.scalars(select(RunRefRow.run_id).where(
                RunRefRow.direction == "input", RunRefRow.entity_type == "trace", RunRefRow.entity_name.in_(chunk))))
        if not runs:
            return []
        outputs = session.execute(select(RunRefRow.entity_name, RunRefRow.version).where(
            RunRefRow.run_id.in_(sorted(runs)), RunRefRow.direction == "output",
            RunRefRow.entity_type == "dataset")).all()
        marked: list[str] = []
        for name, version in sorted(set(outputs)):
            row = session.scalar(select(DatasetVersionRow).join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                                 .where(DatasetRow.project_id == project_id, DatasetRow.name == name,
                                        DatasetVersionRow.version == version))
            if row is None:
                continue
            if ERASED_TAG not in (row.tags or []):
                row.tags = [*(row.tags or []), ERASED_TAG]
            marked.append(f"{name}@{version}")
        return marked

    return store.db.write(write)
