"""The trace list at scale, on SQLite and PostgreSQL: keyset pages without gaps or repeats (ties in time
included), every filter (guardrail action, feedback present, full-text search kept in sync with the
store), bounded totals, lazy views, sessions and the per-variant traffic series."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from genloop.errors import InvalidInput, NotFound
from genloop.feedback import FeedbackService
from genloop.store import Store
from genloop.tracing import TraceService, _query, new_trace_id
from genloop.tracing._dashboard import traffic_series

NOW = time.time()


def _records(n: int = 30) -> list[dict]:
    out = []
    for i in range(n):
        findings = [{"check": "pii", "action": "flag"}, {"check": "secret", "action": "block"}] if i % 10 == 0 else \
            [{"check": "pii", "action": "redact"}] if i % 10 == 1 else None
        out.append({"id": new_trace_id(), "deployment": "bot" if i % 3 else "faq", "variant": "a" if i % 2 else "b",
                    "status": "error" if i % 7 == 0 else "ok", "user": f"u{i % 4}", "session_id": f"s{i % 5}",
                    "guardrails": findings, "latency_ms": float(10 + i), "input_tokens": 3, "output_tokens": 4,
                    "cost_usd": 0.001,
                    "input": {"messages": [{"role": "user", "content": f"question {i} about penguins" if i % 4 == 0
                                            else f"question {i} about weather"}]},
                    "output": {"content": "<script>alert(1)</script> reply" if i == 5 else f"answer number{i}"},
                    # three traces share each second: keyset pages must break ties by id
                    "started_at": NOW - 1000 + (i // 3)})
    return out


def _walk(service: TraceService, **filters) -> list[str]:
    ids, cursor = [], None
    while True:
        page = service.list(cursor=cursor, limit=4, **filters)
        ids += [t.id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids


def test_keyset_pages_cover_every_trace_once_in_order(store: Store) -> None:
    service = TraceService(store)
    records = _records()
    service.record(records)
    ids = _walk(service)
    assert len(ids) == len(set(ids)) == 30
    expected = sorted(records, key=lambda r: (r["started_at"], r["id"]), reverse=True)
    assert ids == [r["id"] for r in expected]
    assert _walk(service, deployment="bot", status="ok") == [
        r["id"] for r in expected if r["deployment"] == "bot" and r["status"] == "ok"]
    first = service.list(limit=4)
    assert first.total == 30 and first.total_exact and first.next_offset == 4


def test_guardrail_feedback_and_search_filters(store: Store) -> None:
    service = TraceService(store)
    records = _records()
    service.record(records)
    assert {t.id for t in service.list(guardrail="block").items} == {records[i]["id"] for i in (0, 10, 20)}
    assert service.list(guardrail="redact").total == 3
    assert service.list(guardrail="any").total == 6
    FeedbackService(store).create(records[3]["id"], value=1.0)
    FeedbackService(store).create(records[8]["id"], value=True)
    assert {t.id for t in service.list(feedback=True).items} == {records[3]["id"], records[8]["id"]}
    assert service.list(feedback=False).total == 28
    penguins = service.list(search="Penguins", limit=100)
    assert {t.id for t in penguins.items} == {r["id"] for i, r in enumerate(records) if i % 4 == 0}
    assert [t.id for t in service.list(search="question 12 penguins").items] == [records[12]["id"]]
    assert [t.id for t in service.list(search="number7").items] == [records[7]["id"]]  # outputs too
    assert [t.id for t in service.list(search="script alert").items] == [records[5]["id"]]
    assert service.list(search="penguins", deployment="faq").total == 3  # i in 0, 12, 24
    assert service.list(search="user").total == 30  # every string value is text, roles included
    assert service.list(search="nothinglikethis").total == 0
    with pytest.raises(InvalidInput, match="no words"):
        service.list(search=" ** ")
    with pytest.raises(InvalidInput, match="guardrail"):
        service.list(guardrail="explode")


def test_search_index_follows_deletes(store: Store) -> None:
    service = TraceService(store)
    service.record(_records(8))
    TraceService(store, "other").record([{"id": new_trace_id(), "input": "penguins elsewhere", "project": "other"}])
    assert service.list(search="penguins").total == 2
    assert TraceService(store, "other").list(search="penguins").total == 1  # projects never mix
    from genloop.tracing._tables import TraceRow

    def drop(session) -> None:  # type: ignore[no-untyped-def]
        session.query(TraceRow).filter(TraceRow.input.is_not(None)).delete()

    store.db.write(drop)
    assert service.list(search="penguins").total == 0
    service.record([{"id": new_trace_id(), "output": "penguins again"}])
    assert service.list(search="penguins").total == 1


def test_totals_are_bounded_and_cursors_checked(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    service = TraceService(store)
    service.record(_records(12))
    monkeypatch.setattr(_query, "COUNT_CAP", 5)
    page = service.list(limit=3)
    assert (page.total, page.total_exact) == (5, False) and page.next_cursor
    assert service.list(status="error").total_exact  # 2 matches: exact
    with pytest.raises(InvalidInput, match="cursor"):
        service.list(cursor="not-a-cursor")
    with pytest.raises(InvalidInput, match="either cursor or offset"):
        service.list(cursor=page.next_cursor, offset=3)


def test_view_is_lazy_and_caps_big_bodies(store: Store) -> None:
    service = TraceService(store)
    big, small = new_trace_id(), new_trace_id()
    spans = [{"span_id": f"{i:016x}", "name": f"step {i}", "duration_ms": 1.0} for i in range(7)]
    service.record([{"id": big, "input": "x" * 5000, "output": "y", "spans": spans},
                    {"id": small, "input": "hi", "output": "there"}])
    view = service.view(big, cap_bytes=1000)
    assert view.oversized and view.trace.input is None and view.size_bytes > 5000 and view.span_count == 7
    assert view.trace.spans is None
    assert service.view(small).trace.output == "there"
    page = service.spans(big, offset=4, limit=2)
    assert [s.name for s in page.items] == ["step 4", "step 5"] and page.total == 7
    with pytest.raises(NotFound):
        TraceService(store, "other").view(big)
    with pytest.raises(NotFound):
        TraceService(store, "other").spans(big)


def test_sessions_group_traces_newest_first(store: Store) -> None:
    service = TraceService(store)
    records = _records()
    service.record(records)
    first = service.sessions(limit=3)
    assert len(first.items) == 3 and first.next_cursor
    rest = service.sessions(cursor=first.next_cursor, limit=3)
    got = [s.session_id for s in first.items + rest.items]
    assert sorted(got) == ["s0", "s1", "s2", "s3", "s4"] and rest.next_cursor is None
    assert [s.last_at for s in first.items + rest.items] == sorted((s.last_at for s in first.items + rest.items),
                                                                    reverse=True)
    s0 = next(s for s in first.items + rest.items if s.session_id == "s0")
    assert s0.traces == 6 and s0.tokens == 42 and s0.errors == sum(1 for i in range(0, 30, 5) if i % 7 == 0)


def test_traffic_series_per_variant(store: Store) -> None:
    service = TraceService(store)
    now = dt.datetime.now(dt.UTC)
    recs = []
    for i in range(40):
        recs.append({"id": new_trace_id(), "deployment": "bot", "variant": "a" if i < 30 else "b",
                     "status": "error" if i % 10 == 0 else "ok", "latency_ms": float(i + 1),
                     "input_tokens": 1, "output_tokens": 1, "cost_usd": 0.5,
                     "started_at": (now - dt.timedelta(minutes=5 + (i % 2) * 60)).timestamp()})
    recs.append({"id": new_trace_id(), "deployment": "bot", "variant": "a", "shadow_of": recs[0]["id"],
                 "started_at": now.timestamp() - 60})
    recs.append({"id": new_trace_id(), "deployment": "bot", "variant": "a",
                 "started_at": (now - dt.timedelta(hours=30)).timestamp()})
    service.record(recs)
    FeedbackService(store).create(recs[1]["id"], value=1.0)
    FeedbackService(store).create(recs[3]["id"], value=False)
    series = traffic_series(store, "default", "bot", hours=24, buckets=24, until=now)
    assert len(series.buckets) == 24
    a, b = series.variants
    assert (a.variant, b.variant) == ("a", "b")
    assert a.totals["requests"] == 30 and b.totals["requests"] == 10
    assert a.requests[-1] == 15 and a.requests[-2] == 15  # within the last hour / the hour before
    assert a.totals["error_rate"] == pytest.approx(3 / 30)
    assert a.totals["tokens"] == 60 and a.totals["cost_usd"] == pytest.approx(15.0)
    assert a.totals["p50_ms"] == pytest.approx(15.5)
    assert a.totals["feedback"] == pytest.approx(0.5)
    assert a.p99_ms[0] is None and a.p99_ms[-1] is not None
    with pytest.raises(InvalidInput, match="bucket"):
        traffic_series(store, "default", "bot", buckets=0)


def test_search_cursor_sessions_and_traffic_over_rest(twin) -> None:  # type: ignore[no-untyped-def]
    records = _records()
    assert twin.traces.record(records) == 30
    twin.feedback.create(records[4]["id"], value=0.5)
    first = twin.traces.list(search="penguins", limit=3)
    assert first.total == 8 and first.next_cursor and first.next_offset == 3
    second = twin.traces.list(search="penguins", limit=3, cursor=first.next_cursor)
    assert not {t.id for t in first.items} & {t.id for t in second.items}
    assert [t.id for t in twin.traces.list(feedback=True, guardrail="any").items] == []
    assert twin.traces.list(feedback=True).items[0].id == records[4]["id"]
    assert twin.traces.list(guardrail="block").total == 3
    view = twin.traces.view(records[0]["id"])
    assert view.trace.input is not None and not view.oversized
    assert twin.traces.spans(records[0]["id"]).total == 0
    assert len(twin.traces.sessions(limit=10).items) == 5
    series = twin.traces.traffic("bot", hours=1, buckets=6)
    assert sum(v.totals["requests"] for v in series.variants) == 20
    with pytest.raises(InvalidInput, match="cursor"):
        twin.traces.list(cursor="@@")


def test_traces_cli_search_cursor_and_sessions(store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    TraceService(store).record(_records())
    page = cli("traces", "list", "--json", "--search", "penguins", "--limit", "5")
    assert page.code == 0, page.err
    data = page.json()
    assert data["total"] == 8 and data["next_cursor"]
    rest = cli("traces", "list", "--json", "--search", "penguins", "--cursor", data["next_cursor"]).json()
    assert len(rest["items"]) == 3
    table = cli("traces", "list", "--guardrail", "block", "--limit", "2")
    assert table.code == 0 and "next page: --cursor" in table.out and "(2 of 3)" in table.out
    assert cli("traces", "list", "--json", "--no-feedback").json()["total"] == 30
    sessions = cli("traces", "sessions", "--limit", "2")
    assert sessions.code == 0 and "next page" in sessions.out
    bad = cli("traces", "list", "--search", "!!")
    assert bad.code == 1 and "no words" in bad.err


def test_search_and_feedback_give_the_same_pages_whichever_side_drives(store: Store,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    service = TraceService(store)
    records = _records()
    service.record(records)
    FeedbackService(store).create(records[2]["id"], value=1.0)
    queries = [{"search": "penguins"}, {"search": "weather", "deployment": "bot"}, {"feedback": True}]
    small = [_walk(service, **q) for q in queries]
    monkeypatch.setattr(_query, "DRIVE_CAP", 0)  # every set counts as large: walk the time index instead
    assert [_walk(service, **q) for q in queries] == small
    assert len(small[0]) == 8 and small[2] == [records[2]["id"]]
