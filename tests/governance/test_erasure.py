"""Erasure by end-user id or session id: traces, spans, feedback deleted, exported dataset versions marked."""

from __future__ import annotations

import pytest

from genloop.errors import InvalidInput
from genloop.store import Store

FRANCE = [{"role": "user", "content": "Capital of France?"}]


def _trace(store: Store, user: str, session: str, answer: str) -> str:
    from genloop.tracing import TraceService, new_trace_id

    trace_id = new_trace_id()
    TraceService(store).record([{"id": trace_id, "deployment": "bot", "input": FRANCE, "user": user,
                                 "session_id": session, "output": {"role": "assistant", "content": answer},
                                 "started_at": 1_700_000_000.0,
                                 "spans": [{"span_id": "ab" * 8, "name": "gateway", "started_at": 1_700_000_000.0}]}])
    return trace_id


def test_erase_user_deletes_traces_feedback_and_marks_exports(store: Store) -> None:
    from genloop.audit import AuditService
    from genloop.datasets import DatasetService
    from genloop.feedback import FeedbackService
    from genloop.governance._erasure import ERASED_TAG, erase
    from genloop.tracing import TraceService

    fb = FeedbackService(store)
    mine = [_trace(store, "alice", "s1", "Lyon"), _trace(store, "alice", "s2", "Nice")]
    other = _trace(store, "bob", "s3", "Paris")
    fb.create(mine[0], name="answer", correction="Paris")
    fb.create(other, name="good", value=True)
    export = fb.export(kind="sft", name="sft-data")
    assert export.traces == 1

    result = erase(store, "default", user_id="alice", actor="user:dpo", batch_size=1)
    assert (result.traces, result.spans, result.feedback, result.batches) == (2, 2, 1, 2)
    assert result.marked_datasets == ["sft-data@1"]
    assert ERASED_TAG in DatasetService(store).get("sft-data@1").tags
    assert [t.id for t in TraceService(store).list(limit=10).items] == [other]
    assert len(fb.list(limit=10).items) == 1
    event = AuditService(store).list(action="erase").items[0]
    assert (event.actor, event.entity_type, event.after["traces"]) == ("user:dpo", "privacy", 2)
    assert erase(store, "default", session_id="s3").traces == 1
    with pytest.raises(InvalidInput, match="user id or a session id"):
        erase(store, "default", user_id="  ")


def test_a_trace_that_waited_in_a_spool_is_not_stored_after_its_user_was_erased(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The gateway's writer reaches a trace after the erasure ran (the trace started before it): it is dropped.
    A trace of the same user that starts after the erasure, or of another project, or another subject, is kept."""
    import time

    from genloop.governance._erasure import erase
    from genloop.tracing import TraceService, new_trace_id
    from genloop.tracing._sink import RecordSink

    def record(user: str, session: str, started: float, project: str = "default") -> dict[str, object]:
        return {"id": new_trace_id(), "project": project, "deployment": "bot", "input": FRANCE, "user": user,
                "session_id": session, "output": {"role": "assistant", "content": "Paris"}, "started_at": started}

    before = time.time() - 5
    waiting = [record("alice", "s1", before), record("carol", "s9", before), record("alice", "s1", before, "other")]
    session_only = record("dan", "s7", before)
    erase(store, "default", user_id="alice")
    erase(store, "default", session_id="s7")
    later = record("alice", "s2", time.time() + 1)
    sink = RecordSink(store, tmp_path)  # what the spool writer (thread or process) writes through
    assert sink.write([*waiting, session_only, later]) and sink.dead_lettered == 0
    stored = {t.id for t in TraceService(store).list(limit=10).items}
    assert stored == {waiting[1]["id"], later["id"]}
    assert [t.id for t in TraceService(store, project="other").list(limit=10).items] == [waiting[2]["id"]]
