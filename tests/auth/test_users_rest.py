"""Users' keys over REST with auth on: the audit actor is ``user:<name>``, the role bounds the key, an annotator
sees only the queues that name them, and only an operator manages users or makes keys in another user's name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from genloop.auth import KeyService, RoleService, UserService
from genloop.review import ReviewService
from genloop.server import BackgroundServer, create_app
from genloop.settings import Settings
from genloop.store import Store


@pytest.fixture
def api(tmp_path: Any) -> Iterator[tuple[Store, httpx.Client]]:
    from genloop.auth import install_auth

    store = Store(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/u.db", auth=True, actor="op"))
    app = create_app(store)
    install_auth(app, store)
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url + "/api/v1", timeout=30) as http:
        yield store, http
    store.close()


def _key(store: Store, user: str, role: str, scopes: list[str]) -> dict[str, str]:
    UserService(store).create(user)
    RoleService(store, "p").grant(user, role)
    return {"authorization": "Bearer " + KeyService(store, "p").create(f"{user}-k", scopes=scopes, user=user).key}


def test_user_keys_over_rest(api: tuple[Store, httpx.Client]) -> None:
    store, http = api
    editor = _key(store, "ed", "editor", ["admin"])
    annotator = _key(store, "ann", "annotator", ["admin"])
    operator = {"authorization": "Bearer " + KeyService(store, "p").create("ops", scopes=["operator"]).key}

    made = http.post("/projects/p/runs", json={"name": "r1", "kind": "custom"}, headers=editor)
    assert made.status_code in (200, 201), made.text
    events = http.get("/projects/p/audit", headers=editor).json()["items"]
    assert any(e["actor"] == "user:ed" for e in events)

    refused = http.post("/projects/p/keys", json={"name": "ed2", "user": "ed"}, headers=editor)
    assert refused.status_code == 403 and "lacks the 'keys.manage' permission" in refused.json()["error"]["message"]
    forged = http.post("/projects/p/keys", json={"name": "as-ann", "user": "ann", "scopes": ["read"]},
                       headers=operator)
    assert forged.status_code == 201 and forged.json()["owner"] == "ann"
    admin = _key(store, "adm", "admin", ["admin"])
    impersonate = http.post("/projects/p/keys", json={"name": "as-ed", "user": "ed"}, headers=admin)
    assert impersonate.status_code == 403 and "only an operator key" in impersonate.json()["error"]["message"]
    assert http.post("/projects/p/keys", json={"name": "mine", "user": "adm"}, headers=admin).status_code == 201

    assert http.post("/users", json={"name": "x"}, headers=admin).status_code == 403  # users.manage: operator
    assert http.post("/users", json={"name": "x", "password": "x-password"}, headers=operator).status_code == 201
    assert http.put("/projects/p/members/x", json={"role": "viewer"}, headers=admin).status_code == 200
    assert http.put("/projects/p/members/x", json={"role": "viewer"}, headers=editor).status_code == 403

    review = ReviewService(store, "p", "op")
    review.create_schema("s", [{"name": "safe", "type": "boolean"}])
    review.create_queue("mine", "s", annotators=["user:ann"])
    review.create_queue("other", "s", annotators=["key:someone"])
    listed = http.get("/projects/p/review/queues", headers=annotator)
    assert listed.status_code == 200, listed.text
    assert [q["name"] for q in listed.json()] == ["mine"]
    assert http.get("/projects/p/review/queues/other", headers=annotator).status_code == 403
    assert http.get("/projects/p/datasets", headers=annotator).status_code == 403

    UserService(store, "op").deactivate("ed")
    store.cache.invalidate()
    assert http.get("/projects/p/datasets", headers=editor).status_code == 401
