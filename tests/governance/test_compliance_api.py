"""Retirement, retention, erasure and the audit export through the SDK (in-process and REST) and the CLI;
the audit log refuses UPDATE and DELETE at the database."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from tests.governance.test_erasure import _trace

from genloop.errors import GenLoopError
from genloop.store import Store


def test_sdk_twins(client, store: Store) -> None:  # type: ignore[no-untyped-def]
    client.prompts.create("geo", template="Capital of {{ country }}?", model="mock:echo")
    assert client.compliance.retire("prompt", "geo@1", reason="old")["version"] == 1
    with pytest.raises(GenLoopError, match="geo@1 is retired") as err:
        client.deployments.create("app", variants=[{"name": "a", "prompt": "geo@1"}])
    assert err.value.status_code == 400
    info = client.compliance.set_retention(traces_days=30, feedback_days=90)
    assert (info.traces_days, info.feedback_days) == (30, 90) == (client.compliance.retention().traces_days, 90)
    _trace(store, "alice", "s1", "Lyon")
    assert client.compliance.run_retention().traces == 1  # started in 2023: older than 30 days
    _trace(store, "bob", "s2", "Nice")
    assert client.compliance.erase(session_id="s2").traces == 1
    out = io.BytesIO()
    client.compliance.export_audit(out)
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert {("retire", "prompt"), ("set", "retention"), ("run", "retention"), ("erase", "privacy")} <= {
        (e["action"], e["entity_type"]) for e in events}


def test_cli(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    from genloop.models import ModelService

    ModelService(store).register("bot", kind="provider", uri="mock:echo-1")
    assert cli("models", "retire", "bot@1", "--reason", "old").code == 0
    assert ModelService(store).get("bot@1").status == "retired"
    made = cli("governance", "retention", "set", "--traces-days", "30", "--feedback-days", "90")
    assert made.code == 0 and "traces 30 days, feedback 90 days" in made.out
    assert "deleted 0 traces" in cli("governance", "retention", "run").out
    bad = cli("governance", "erase")
    assert bad.code != 0 and "user id or a session id" in bad.err
    exported = cli("audit", "export", "--since", "2000-01-01")
    assert exported.code == 0
    assert {json.loads(line)["entity_type"] for line in exported.out.splitlines()} >= {"model", "retention"}
    assert cli("audit", "--type", "retention").code == 0


def test_audit_log_is_append_only(store: Store) -> None:
    from genloop.prompts import PromptService

    PromptService(store).create("geo", template="hi", model="mock:echo")
    for statement in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.db.write_engine.begin() as conn:
            conn.execute(sa.text(statement))
    with store.db.read_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_events WHERE actor = 'mallory'")).scalar() == 0
