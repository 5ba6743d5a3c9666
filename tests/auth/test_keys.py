"""API keys: created with a secret shown once, stored hashed, listed, revoked; scopes validated; the CLI."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from genloop.auth import KeyService
from genloop.auth._tables import ApiKeyRow
from genloop.errors import InvalidInput, NotFound, Unauthorized


def test_create_list_revoke(twin, store) -> None:
    keys = twin.keys
    created = keys.create("app", scopes=["gateway", "read"], deployments=["bot"], rpm_limit=60, budget_usd=5)
    assert created.key.startswith(created.id + "_") and created.id.startswith("glk_")
    assert (created.scopes, created.deployments, created.rpm_limit) == (["gateway", "read"], ["bot"], 60)
    with store.db.read() as session:
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == created.id))
        assert row.key_hash == hashlib.sha256(created.key.encode()).hexdigest()
        assert created.key not in str(vars(row))
    assert KeyService.verify(store, created.key).name == "app"
    assert [k.id for k in keys.list().items] == [created.id]
    assert keys.get(created.id).spent_usd == 0
    revoked = keys.revoke(created.id)
    assert revoked.revoked_at is not None and keys.list().total == 0
    assert keys.list(include_revoked=True).total == 1
    store.cache.invalidate()
    with pytest.raises(Unauthorized):
        KeyService.verify(store, created.key)
    with pytest.raises(InvalidInput):
        keys.create("bad", scopes=["root"])
    with pytest.raises(NotFound):
        keys.revoke("glk_missing0")


def test_keys_cli(sqlite_env) -> None:
    from typer.testing import CliRunner

    from genloop.cli.keys import app

    runner = CliRunner()
    created = runner.invoke(app, ["create", "ci", "--scope", "read", "--rpm", "10"])
    assert created.exit_code == 0
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("glk_")
    key_id = secret[:12]
    assert key_id in runner.invoke(app, ["list", "--json"]).output
    assert runner.invoke(app, ["revoke", key_id]).exit_code == 0
    assert runner.invoke(app, ["list", "--json"]).output.count('"id"') == 0
