"""The audit log: every change with actor, time, entity, before and after; filtered the same way from the SDK
(in-process and remote), REST and `genloop audit`."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from genloop.errors import InvalidInput
from genloop.models import ModelService
from genloop.prompts import PromptService
from genloop.store import utcnow


def _changes(client, store) -> tuple[dt.datetime, dt.datetime]:  # type: ignore[no-untyped-def]
    """Changes by 'tester' (the client) before ``middle``, then by 'alice' after it; returns (start, middle)."""
    start = utcnow()
    client.prompts.create("support", template="Q: {{ question }}")
    client.prompts.create("support", template="Question: {{ question }}")
    client.prompts.label("support@1", "production")
    time.sleep(0.01)
    middle = utcnow()
    time.sleep(0.01)
    alice = PromptService(store, actor="alice")
    alice.label("support@2", "production")
    alice.unlabel("support", "production")
    models = ModelService(store, actor="alice")
    models.register("gpt", kind="provider", uri="openai:gpt-4o-mini")
    models.set_status("gpt@1", "approved", reason="reviewed")
    return start, middle


def test_every_change_is_recorded_and_filters_combine(client, store) -> None:  # type: ignore[no-untyped-def]
    start, middle = _changes(client, store)
    events = client.audit.list(limit=1000).items
    assert [(e.actor, e.action, e.entity_type, e.entity_name, e.entity_version) for e in events] == [
        ("alice", "status", "model", "gpt", 1),
        ("alice", "create", "model", "gpt", 1),
        ("alice", "create", "model", "gpt", None),
        ("alice", "unlabel", "prompt", "support", 2),
        ("alice", "label", "prompt", "support", 2),
        ("tester", "label", "prompt", "support", 1),
        ("tester", "create", "prompt", "support", 2),
        ("tester", "create", "prompt", "support", 1),
        ("tester", "create", "prompt", "support", None),
        ("tester", "create", "project", "default", None),
    ]
    moved = next(e for e in events if e.action == "label" and e.actor == "alice")
    assert (moved.before, moved.after) == ({"label": "production", "version": 1}, {"label": "production", "version": 2})
    removed = next(e for e in events if e.action == "unlabel")
    assert (removed.before, removed.after) == ({"label": "production", "version": 2}, None)
    approved = events[0]
    assert (approved.before, approved.after) == ({"status": "draft"}, {"status": "approved", "reason": "reviewed"})
    assert all(start <= e.created_at <= utcnow() and e.project == "default" for e in events)

    def pick(**filters):  # type: ignore[no-untyped-def]
        return [(e.actor, e.action, e.entity_name) for e in client.audit.list(limit=1000, **filters).items]

    assert pick(actor="alice", entity_type="prompt") == [("alice", "unlabel", "support"), ("alice", "label", "support")]
    assert pick(action="label") == [("alice", "label", "support"), ("tester", "label", "support")]
    assert pick(name="gpt", action="status") == [("alice", "status", "gpt")]
    assert pick(until=middle) == pick(actor="tester")
    assert pick(since=middle) == pick(actor="alice")
    assert pick(since=middle, until=middle) == []
    assert pick(since=middle.replace(tzinfo=None)) == pick(actor="alice")  # a naive time is read as UTC
    assert pick(entity_type="dataset") == [] and pick(actor="nobody") == []

    page = client.audit.list(offset=8, limit=5)
    assert (len(page.items), page.total, page.next_offset) == (2, 10, None)
    assert client.audit.list(limit=3).next_offset == 3
    with client.with_project("other") as other:
        assert other.audit.list().total == 0
    with pytest.raises(InvalidInput, match="limit must be between 1 and 1000"):
        client.audit.list(limit=1001)


@pytest.mark.parametrize(("database_url", "client"), [("sqlite", "local")], indirect=True)
def test_genloop_audit_cli_lists_and_filters(cli, client, store) -> None:  # type: ignore[no-untyped-def]
    _, middle = _changes(client, store)
    listed = cli("audit", "--type", "prompt", "--actor", "alice", "--json")
    assert listed.code == 0, listed.err
    body = listed.json()
    assert [(e["action"], e["entity_version"], e["before"]) for e in body["items"]] == [
        ("unlabel", 2, {"label": "production", "version": 2}),
        ("label", 2, {"label": "production", "version": 1}),
    ]
    assert (body["total"], body["next_offset"]) == (2, None)

    since = (middle + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")  # the CLI takes whole seconds
    assert cli("audit", "--since", since, "--json").json()["total"] == 0
    early = (middle - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert cli("audit", "--since", early, "--limit", "2", "--json").json()["next_offset"] == 2

    table = cli("audit", "--name", "gpt")
    assert table.code == 0 and "model:gpt" in table.out and "alice" in table.out and "status" in table.out

    for args, problem in ((("--since", "yesterday"), "Invalid value for '--since'"),
                          (("--limit", "0"), "Invalid value for '--limit'")):
        bad = cli("audit", *args)  # a usage error: exit 2 and a message, not a traceback
        assert (bad.code, bad.out) == (2, "") and problem in bad.err and "Traceback" not in bad.err, bad.err
