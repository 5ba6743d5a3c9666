"""The ``twin`` fixture: this slice's four namespaces in-process, then over REST on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from genloop.store import Store


@pytest.fixture(params=["local", "remote"])
def twin(request: pytest.FixtureRequest, store: Store) -> Iterator[Any]:
    """``twin.deployments/.traces/.feedback/.keys``: the services, then their REST twins (same calls)."""
    if request.param == "local":
        from genloop.auth import KeyService
        from genloop.deployments import DeploymentService
        from genloop.feedback import FeedbackService
        from genloop.tracing import TraceService

        yield SimpleNamespace(deployments=DeploymentService(store), traces=TraceService(store),
                              feedback=FeedbackService(store), keys=KeyService(store), remote=False)
        return
    if store.db.is_postgres:
        pytest.skip("REST parity is checked on SQLite; the services are checked on both databases")
    from gateway.conftest import ServerThread
    from genloop.client._deployments import RemoteDeployments
    from genloop.client._feedback import RemoteFeedback
    from genloop.client._http import HttpTransport
    from genloop.client._keys import RemoteKeys
    from genloop.client._traces import RemoteTraces
    from genloop.server import create_app

    with ServerThread(create_app(store)) as srv:
        http = HttpTransport(srv.url)
        yield SimpleNamespace(deployments=RemoteDeployments(http), traces=RemoteTraces(http),
                              feedback=RemoteFeedback(http), keys=RemoteKeys(http), remote=True)
        http.close()


@pytest.fixture
def sqlite_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A SQLite store, with GENLOOP_* pointing at it, for CLI tests (the CLI is the same on any database)."""
    from genloop.settings import Settings

    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'cli.db'}", actor="tester")
    monkeypatch.setenv("GENLOOP_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("GENLOOP_HOME", str(settings.resolved_home))
    s = Store(settings)
    yield s
    s.close()
