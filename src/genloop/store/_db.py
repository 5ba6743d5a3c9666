"""The database half of the store: engines, transactions and migrations, same code on SQLite and PostgreSQL.

Writers must never produce a duplicate or lose a version when two processes write at once:

- On SQLite, write transactions start with ``BEGIN IMMEDIATE``, so writers queue on the database
  lock (WAL mode keeps readers unblocked) instead of failing on upgrade from a read lock.
- On PostgreSQL, services lock the parent row (``SELECT ... FOR UPDATE``) before picking the next
  version number; a unique constraint backs it, and :meth:`Database.write` retries a transaction
  that lost a race on it (``IntegrityError`` on insert of a brand-new parent).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from genloop.errors import Conflict, InvalidInput, Unavailable

__all__ = ["Database", "utcnow"]

T = TypeVar("T")

_MIGRATIONS = Path(__file__).parent / "migrations"


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC; every timestamp in the store is one of these."""
    return dt.datetime.now(dt.UTC)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """Engines and sessions for one database URL; migrations are applied when it opens."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise InvalidInput(
                f"invalid database URL {url!r}: {exc}",
                hint="use sqlite:///path/to/genloop.db or postgresql+psycopg://user:pass@host/db",
            ) from exc
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            db_path = parsed.database
            if db_path and db_path != ":memory:":
                Path(db_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._lock_path = Path(f"{db_path}.migrate.lock") if db_path and db_path != ":memory:" else None
            self.read_engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        elif self.dialect == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            self._lock_path = None
            self.read_engine = create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
            self.write_engine = self.read_engine
        else:
            raise InvalidInput(
                f"unsupported database {self.dialect!r} in {url!r}",
                hint="GenLoop stores run on sqlite:/// or postgresql+psycopg://",
            )
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        if migrate:
            self.upgrade()

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    # -- transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed.

        Closing (not rolling back) ends it, so rows read inside stay usable, detached, afterwards.
        """
        with self._read() as session:
            yield session

    def write(self, fn: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Run ``fn`` in one write transaction and commit; retry if it lost a race to another writer.

        ``fn`` must be safe to run again from the start (it should not keep state between tries).
        """
        for attempt in range(1, attempts + 1):
            try:
                with self._write() as session, session.begin():
                    return fn(session)
            except IntegrityError as exc:
                if attempt == attempts:
                    raise Conflict(
                        f"the change conflicts with existing data: {exc.orig}",
                        hint="another writer may have made the same change; read the current state and retry",
                    ) from exc
            except OperationalError as exc:
                if attempt == attempts or not _is_transient(exc):
                    raise Unavailable(
                        f"database error: {exc.orig}", hint="check that the database is reachable and retry"
                    ) from exc
            except (DataError, OverflowError, UnicodeEncodeError) as exc:
                # a value the database cannot hold (PostgreSQL: NUL in text, an integer out of range, a string
                # longer than its column; SQLite's driver: an integer past 64 bits, a lone surrogate): the input's
                # fault, and nothing was written
                reason = str(exc.orig if isinstance(exc, DataError) else exc).strip().splitlines()[0]
                raise InvalidInput(f"the store cannot hold a value of this change: {reason}",
                                   hint="check the text (no NUL or lone surrogates) and numbers (64-bit) sent") from exc
            time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    # -- migrations -------------------------------------------------------------------------------

    def _alembic_config(self):  # type: ignore[no-untyped-def]
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        return cfg

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.read_engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def upgrade(self) -> str | None:
        """Apply pending migrations (idempotent; safe when several processes start at once)."""
        head = self.head_revision()
        if self.current_revision() == head:
            return head
        from alembic import command

        with self._migration_lock() as conn:
            cfg = self._alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return head

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[object]:
        if self.is_postgres:
            with self.write_engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(74657431)"))
                conn.commit()
                try:
                    yield conn
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(74657431)"))
                    conn.commit()
            return
        fd = None
        if self._lock_path is not None:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            with self.read_engine.connect() as conn:
                yield conn
        finally:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def dispose(self) -> None:
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()


def _is_transient(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "locked" in message or "busy" in message or "deadlock" in message or "serializ" in message
