"""`genloop db current` and `genloop db upgrade`, the operators' commands, on a database nothing has opened yet."""

from __future__ import annotations

import pytest

from genloop.store import Database

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_db_upgrade_migrates_an_empty_database_once(cli, database_url: str) -> None:  # type: ignore[no-untyped-def]
    head = Database(database_url, migrate=False).head_revision()
    assert head

    before = cli("db", "current")
    assert before.code == 0 and " ".join(before.out.split()) == f"current: empty head: {head}", before.out

    first = cli("db", "upgrade")
    assert first.code == 0, first.err
    assert " ".join(first.out.split()) == f"upgraded database from empty to {head}"
    db = Database(database_url, migrate=False)
    assert db.current_revision() == head
    db.dispose()

    again = cli("db", "upgrade")
    assert again.code == 0 and " ".join(again.out.split()) == f"database is up to date (revision {head})"
    assert " ".join(cli("db", "current").out.split()) == f"current: {head} head: {head}"


def test_db_upgrade_on_a_bad_url_is_one_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GENLOOP_DATABASE_URL", "mysql://x/y")
    result = cli("db", "upgrade")
    assert result.code == 1 and result.err.startswith("error: unsupported database 'mysql'"), result.err
