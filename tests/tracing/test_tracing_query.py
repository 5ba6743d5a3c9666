"""Querying traces the same way in-process and over REST (the SDK), and from the CLI: by deployment, variant,
time range, status, user, session and metadata, a page at a time, newest first."""

from __future__ import annotations

import datetime as dt
import time

from genloop.tracing import TraceService, new_trace_id

NOW = time.time()


def _records() -> list[dict]:
    return [{"id": new_trace_id(), "project": "default", "name": "chat.completions", "deployment": "bot" if i < 8 else "faq",
             "variant": "a" if i % 2 else "b", "status": "ok" if i % 3 else "error", "user": f"u{i % 4}",
             "session_id": f"s{i % 2}", "metadata": {"tier": "gold" if i % 2 else "free"},
             "started_at": NOW - 100 + i * 10, "latency_ms": 2.0} for i in range(10)]


def test_query_filters_and_pages_in_process_and_over_rest(twin) -> None:
    records = _records()
    assert twin.traces.record(records) == 10
    traces = twin.traces
    assert traces.list(deployment="bot").total == 8
    assert traces.list(deployment="bot", variant="a").total == 4
    assert traces.list(status="error").total == 4
    assert traces.list(user="u1", session_id="s1").total == 3
    assert traces.list(metadata={"tier": "gold"}, deployment="faq").total == 1
    since = dt.datetime.fromtimestamp(records[3]["started_at"], dt.UTC)
    until = dt.datetime.fromtimestamp(records[7]["started_at"], dt.UTC)
    window = traces.list(since=since, until=until)
    assert {t.id for t in window.items} == {r["id"] for r in records[3:7]}  # since inclusive, until exclusive
    pages, offset = [], 0
    while offset is not None:
        page = traces.list(offset=offset, limit=4)
        pages.append([t.id for t in page.items])
        offset = page.next_offset
    assert [len(p) for p in pages] == [4, 4, 2]
    assert [i for p in pages for i in p] == [r["id"] for r in reversed(records)]  # newest first, no gaps
    assert traces.list(status="cancelled").total == 0


def test_traces_cli_list_and_show(store, cli) -> None:
    records = _records()
    TraceService(store).record(records)

    def listed(*args: str) -> dict:
        result = cli("traces", "list", "--json", *args)
        assert result.code == 0, result.err
        return result.json()

    assert listed("--deployment", "bot", "--variant", "b")["total"] == 4
    assert listed("--status", "error", "--user", "u0")["total"] == 1
    assert listed("--meta", "tier=gold", "--session", "s1")["total"] == 5
    since = dt.datetime.fromtimestamp(records[5]["started_at"], dt.UTC).replace(tzinfo=None).isoformat()
    assert {t["id"] for t in listed("--since", since)["items"]} == {r["id"] for r in records[5:]}
    page = listed("--limit", "3", "--offset", "3")
    assert [t["id"] for t in page["items"]] == [r["id"] for r in reversed(records)][3:6]
    table = cli("traces", "list", "--deployment", "faq")
    assert table.code == 0 and "faq" in table.out and "(2 of 2)" in table.out
    shown = cli("traces", "show", records[0]["id"], "--json")
    assert shown.code == 0 and shown.json()["user"] == "u0"
    missing = cli("traces", "show", new_trace_id())
    assert missing.code == 1 and "no trace" in missing.err
    bad = cli("traces", "list", "--meta", "tier")
    assert bad.code == 1 and "key=value" in bad.err
