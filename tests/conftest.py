"""Shared fixtures: a real SQLite file and (when configured) a real PostgreSQL server, a real uvicorn server.

PostgreSQL tests need ``GENLOOP_TEST_POSTGRES_URL`` (an admin URL such as
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); ``.ci/run`` starts a server and sets it.
Each test gets a fresh database cloned from a migrated template, so tests never share state.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under pytest-xdist every core runs a worker already: torch's own threads (one per core by default) would spin
    # against the other workers' (two 2-thread trainings on two cores step ~5x slower than one). Subprocesses inherit.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

from genloop.server import BackgroundServer  # after the thread settings, before torch loads
from genloop.settings import Settings
from genloop.store import Store

PG_ADMIN_URL = os.environ.get("GENLOOP_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's ~/.genloop or a GENLOOP_* variable from the shell."""
    for key in list(os.environ):
        if key.startswith("GENLOOP_") and key != "GENLOOP_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("GENLOOP_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("GENLOOP_ACTOR", "tester")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database on the test PostgreSQL server; yields its name."""
    if not PG_ADMIN_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: set GENLOOP_TEST_POSTGRES_URL (.ci/run does)")
        pytest.skip("PostgreSQL tests need GENLOOP_TEST_POSTGRES_URL (set by .ci/run)")
    from sqlalchemy import create_engine, text

    from genloop.store import Database

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"genloop_tpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(_pg_url(name))
    db.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


@contextlib.contextmanager
def fresh_pg_database(template: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    name = f"genloop_t_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty store database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'genloop.db'}"
        return
    template = request.getfixturevalue("pg_template")
    with fresh_pg_database(template) as url:
        yield url


@pytest.fixture
def settings(tmp_path, database_url: str) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(home=tmp_path / "home", database_url=database_url, artifacts_uri=str(tmp_path / "artifacts"),
                    actor="tester")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = Store(settings)
    yield s
    s.close()


#: A real uvicorn server on a free loopback port, in a background thread (``url``, ``with``).
ServerThread = BackgroundServer


@pytest.fixture
def server(store: Store) -> Iterator[ServerThread]:
    """The REST server on the test store, served by uvicorn on loopback."""
    from genloop.server import create_app

    with ServerThread(create_app(store)) as srv:
        yield srv


@pytest.fixture(params=["local", "remote"])
def client(request: pytest.FixtureRequest, store: Store):  # type: ignore[no-untyped-def]
    """A genloop.Client working in-process on the store, then remotely on a server over the same store."""
    from genloop import Client

    if request.param == "local":
        c = Client(store=store)
        yield c
        c.close()
        return
    srv = request.getfixturevalue("server")
    c = Client(srv.url)
    yield c
    c.close()


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self):  # type: ignore[no-untyped-def]
        import json

        return json.loads(self.out)


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``genloop ARGS...`` in-process through the real entry point, on the test store.

    Returns a :class:`CliResult` with the exit code, stdout and stderr.
    """
    import sys

    from genloop.cli.main import main

    monkeypatch.setenv("GENLOOP_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("GENLOOP_ARTIFACTS_URI", settings.resolved_artifacts_uri)
    monkeypatch.setenv("GENLOOP_HOME", str(settings.resolved_home))
    monkeypatch.delenv("COLUMNS", raising=False)  # output to a pipe, as in CI: full width, nothing wraps

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["genloop", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def _no_running_loop_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test must not leave an event loop marked running in the main thread (later asyncio.run() calls and
    Playwright's sync API would refuse to start). A browser test's loop is its module's Playwright, closed with
    the module."""
    import asyncio

    yield
    if "browser" in request.fixturenames:
        return
    leaked = asyncio._get_running_loop()
    if leaked is not None:
        asyncio._set_running_loop(None)
        pytest.fail(f"this test left an event loop running in the main thread: {leaked!r}")
