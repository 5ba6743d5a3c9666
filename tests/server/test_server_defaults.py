"""What a server built from the public factories does by default: the REST app alone is closed when auth is
on, and `genloop server`'s background threads live exactly as long as its lifespan."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from genloop.auth import KeyService
from genloop.errors import InvalidInput
from genloop.server import create_app, create_server
from genloop.settings import Settings
from genloop.store import Store

WORKER_THREADS = {"genloop-monitoring", "genloop-scheduler", "genloop-retention"}


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()} & WORKER_THREADS


def test_the_rest_app_alone_asks_for_a_key_when_auth_is_on(tmp_path: Path) -> None:
    store = Store(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/a.db", auth=True, actor="op"))
    key = KeyService(store, "p").create("reader", scopes=["read"]).key
    with TestClient(create_app(store)) as http:
        assert http.get("/api/v1/health").status_code == 200
        refused = http.get("/api/v1/projects/p/runs")
        assert refused.status_code == 401 and refused.json()["error"]["type"] == "unauthorized"
        assert http.post("/api/v1/projects/p/runs", json={"name": "r", "kind": "custom"}).status_code == 401
        allowed = http.get("/api/v1/projects/p/runs", headers={"authorization": f"Bearer {key}"})
        assert allowed.status_code == 200, allowed.text
        read_only = http.post("/api/v1/projects/p/runs", json={"name": "r", "kind": "custom"},
                              headers={"authorization": f"Bearer {key}"})
        assert read_only.status_code == 403
    store.close()


def test_the_rest_app_stays_open_when_auth_is_off(tmp_path: Path) -> None:
    store = Store(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/o.db", auth=False))
    with TestClient(create_app(store)) as http:
        assert http.get("/api/v1/projects/p/runs").status_code == 200
    store.close()


def test_server_threads_start_with_the_lifespan_and_stop_with_it(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/s.db", monitoring_interval=30,
                        scheduler_interval=5, retention_interval=30)
    before = _threads()
    app = create_server(settings)
    assert _threads() == before, "building the app must not start threads"
    with TestClient(app) as http:
        assert http.get("/api/v1/health").status_code == 200
        assert _threads() - before == WORKER_THREADS - before
    assert _threads() == before, "the lifespan's shutdown must stop every worker thread"


def test_server_threads_stay_off_when_their_interval_is_zero(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/z.db", monitoring_interval=0,
                        scheduler_interval=0, retention_interval=0)
    before = _threads()
    with TestClient(create_server(settings)) as http:
        assert http.get("/api/v1/health").status_code == 200
        assert _threads() == before


def test_a_refused_worker_setting_fails_startup_and_leaves_no_thread(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/r.db", monitoring_interval=30,
                        scheduler_interval=30, scheduler_lease_seconds=30, retention_interval=0)
    before = _threads()
    with pytest.raises(InvalidInput, match="must outlast its interval"), TestClient(create_server(settings)):
        pass
    assert _threads() == before
