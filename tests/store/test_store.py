"""The store's core guarantees: migrations, artifacts that cannot escape their root, versioned writes."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from genloop.errors import InvalidInput, NotFound
from genloop.settings import Settings
from genloop.store import ArtifactStore, Database, Store
from genloop.store._registry import AuditEvent, Project, ensure_project


def test_migrations_are_applied_and_idempotent(store: Store) -> None:
    assert store.db.current_revision() == store.db.head_revision()
    assert store.db.upgrade() == store.db.head_revision()  # a second upgrade is a no-op


def test_tables_match_migrations(store: Store) -> None:
    """Every table change in code ships an Alembic revision (autogenerate finds no difference)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from genloop.store.metadata import load_all_tables, managed

    metadata = load_all_tables()
    with store.db.read_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False, "include_name": managed}), metadata)
    assert diff == [], f"tables and migrations differ; run tools/new_migration.py: {diff}"


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as session:
        assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


def test_bad_database_url_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="unsupported database"):
        Database("mysql://x/y")
    with pytest.raises(InvalidInput, match="invalid database URL"):
        Database("::not a url::")


def test_write_is_atomic_with_its_audit_event(store: Store) -> None:
    def failing(session):  # type: ignore[no-untyped-def]
        ensure_project(session, "p1", "tester")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.db.write(failing)
    with store.db.read() as session:
        assert session.scalar(select(Project).where(Project.name == "p1")) is None
        assert list(session.scalars(select(AuditEvent))) == []
    store.db.write(lambda s: ensure_project(s, "p1", "tester"))
    with store.db.read() as session:
        events = list(session.scalars(select(AuditEvent)))
    assert [(e.action, e.entity_type, e.entity_name, e.actor) for e in events] == [
        ("create", "project", "p1", "tester")
    ]


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a/../../b", "a//b", "", ".hidden", "a\\b", "a/\x00"])
def test_artifact_keys_cannot_escape_the_root(tmp_path, key: str) -> None:  # type: ignore[no-untyped-def]
    store = ArtifactStore(str(tmp_path / "artifacts"))
    with pytest.raises(InvalidInput):
        store.path(key)


def test_artifact_put_is_atomic_and_readable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = ArtifactStore(str(tmp_path / "artifacts"))
    src = tmp_path / "f.bin"
    src.write_bytes(b"hello")
    store.put_file(src, "datasets/x/1.parquet")
    with store.open("datasets/x/1.parquet") as fh:
        assert fh.read() == b"hello"
    leftovers = [f for f in os.listdir(tmp_path / "artifacts/datasets/x") if ".tmp-" in f]
    assert leftovers == []
    with pytest.raises(NotFound):
        store.open("datasets/x/2.parquet")


def test_artifacts_on_an_fsspec_memory_filesystem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = ArtifactStore("memory://genloop-test")
    src = tmp_path / "f.txt"
    src.write_text("x")
    store.put_file(src, "a/b.txt")
    assert store.exists("a/b.txt")
    with store.local_copy("a/b.txt") as path:
        with open(path) as fh:
            assert fh.read() == "x"


def test_settings_defaults_live_in_home(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path}/genloop.db"
    assert settings.resolved_artifacts_uri == str(tmp_path / "artifacts")
