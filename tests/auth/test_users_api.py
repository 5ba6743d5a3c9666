"""Users and roles through the SDK (in-process, then over REST), the CLI, and the operator bootstrap."""

from __future__ import annotations

import pytest

from genloop.errors import Conflict, InvalidInput, NotFound


def test_users_and_roles_twins(client) -> None:
    user = client.users.create("ana", email="ana@example.com", password="ana-pass-1")
    assert (user.name, user.kind, user.has_password) == ("ana", "user", True)
    client.users.create("bot", service=True)
    assert [u.name for u in client.users.list()] == ["ana", "bot"]
    member = client.roles.grant("ana", "reviewer")
    assert (member.user, member.role, member.project) == ("ana", "reviewer", "default")
    assert client.users.get("ana").roles == {"default": "reviewer"}
    assert [(m.user, m.role) for m in client.roles.list()] == [("ana", "reviewer")]
    key = client.keys.create("ana-key", scopes=["read", "write"], user="ana")
    assert (key.owner, key.role) == ("ana", "reviewer")
    assert client.users.set_password("ana", "new-pass-22").has_password
    with pytest.raises(InvalidInput, match="unknown role"):
        client.roles.grant("ana", "superuser")
    with pytest.raises(Conflict):
        client.users.create("ana")
    with pytest.raises(NotFound):
        client.roles.grant("ghost", "viewer")
    assert client.roles.revoke("ana").role == "reviewer" and client.roles.list() == []
    assert client.users.deactivate("ana").deactivated_at is not None
    assert client.keys.list().total == 0  # her key was revoked with her
    assert [u.name for u in client.users.list(include_inactive=True)] == ["ana", "bot"]


def test_cli_users_roles_keys_and_admin_bootstrap(cli) -> None:
    first = cli("admin", "create", "root", "--password", "root-pass-1")
    assert first.code == 0 and first.out.strip().startswith("glk_"), first.err
    again = cli("admin", "create", "root2")
    assert again.code != 0 and "an admin exists already (root)" in again.err and "--force" in again.err
    assert cli("admin", "create", "root2", "--force").code == 0
    assert cli("users", "create", "eve", "--email", "eve@example.com", "--password", "eve-pass-1").code == 0
    assert cli("users", "create", "ci", "--service").code == 0
    assert cli("roles", "grant", "eve", "annotator", "--project", "p1").code == 0
    assert cli("roles", "list", "--project", "p1", "--json").json()[0]["role"] == "annotator"
    made = cli("keys", "create", "eve-key", "--scope", "annotate", "--user", "eve", "--project", "p1", "--json")
    assert made.code == 0 and made.json()["owner"] == "eve" and made.json()["role"] == "annotator"
    shown = cli("users", "show", "eve", "--json").json()
    assert shown["roles"] == {"p1": "annotator"} and "password" not in str({k for k in shown if k != "has_password"})
    bad = cli("roles", "grant", "eve", "owner")
    assert bad.code != 0 and "unknown role" in bad.err
    assert cli("users", "deactivate", "eve").code == 0
    assert cli("keys", "list", "--project", "p1", "--json").json()["total"] == 0
    names = [u["name"] for u in cli("users", "list", "--json").json()]
    assert names == ["ci", "root", "root2"]
