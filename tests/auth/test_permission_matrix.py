"""The permission matrix: every route (REST, gateway, Studio) for every role, expected from the permission table,
checked against one running server (auth on, loopback). Each role's user holds a key with every scope, so what
the key may do is exactly what the role allows. Denied is 401/403; anything else (200, 400 for the empty body,
404 for the made-up names, 422) proves the request got past the permission check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from auth._routes import GATEWAY_ROUTES, flatten
from genloop.auth import KeyService, RoleService, UserService
from genloop.auth._permissions import GATEWAY_RULES, REST_RULES, ROLE_PERMISSIONS, ROLES, STUDIO_RULES, match
from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store

pytestmark = pytest.mark.slow
PROJECT = "matrix"
_PARAM = re.compile(r"\{([^}:]+)(:[^}]*)?\}")


def concrete(template: str) -> str:
    return _PARAM.sub(lambda m: PROJECT if m.group(1) == "project" else "x1", template)


def denied(status: int) -> bool:
    return status in (401, 403)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from genloop.gateway import with_gateway
    from genloop.server import create_app
    from genloop.studio import with_studio
    from genloop.studio._app import create_studio

    home = tmp_path_factory.mktemp("matrix")
    store = Store(Settings(home=home, database_url=f"sqlite:///{home}/m.db", auth=True, actor="op"))
    keys: dict[str, str] = {}
    for role in ROLES:
        UserService(store).create(f"u-{role}", password=f"pass-{role}-123")
        RoleService(store, PROJECT).grant(f"u-{role}", role)
        keys[role] = KeyService(store, PROJECT).create(f"k-{role}", scopes=["operator", "annotate"],
                                                       user=f"u-{role}").key
    app = with_studio(with_gateway(create_app(store), store), store)
    rest = flatten(create_app(store).routes)
    studio = flatten(create_studio(store).routes)
    with BackgroundServer(app) as srv:
        yield {"store": store, "keys": keys, "url": srv.url, "rest": rest, "studio": studio}
    store.close()


def _send(http: httpx.Client, method: str, path: str, **kw: Any) -> int:
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return http.request(method, path, **body, **kw).status_code


def test_rest_and_gateway_matrix(world: dict[str, Any]) -> None:
    wrong: list[str] = []
    routes = [(m, p, match(REST_RULES, m, p)) for m, p in world["rest"]]
    routes += [(m, p, match(GATEWAY_RULES, m, p)) for m, p in GATEWAY_ROUTES]
    with httpx.Client(base_url=world["url"], timeout=30) as http:
        for method, template, rule in routes:
            assert rule is not None, f"{method} {template} is not in the permission table"
            path, permission = concrete(template), rule[2]
            if permission is not None and not denied(_send(http, method, path)):
                wrong.append(f"no key: {method} {path} was let through")
            for role, key in world["keys"].items():
                status = _send(http, method, path, headers={"authorization": f"Bearer {key}"})
                expected_allowed = permission is None or permission in ROLE_PERMISSIONS[role]
                if denied(status) == expected_allowed:
                    wrong.append(f"{role}: {method} {path} ({permission}) answered {status}")
    assert not wrong, "\n".join(wrong)


def _studio_login(http: httpx.Client, key: str) -> str:
    page = http.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = http.post("/login", data={"key": key, "csrf_token": token, "next": "/"})
    assert answer.status_code in (200, 303), answer.text[:300]
    page = http.get("/login").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_studio_matrix(world: dict[str, Any]) -> None:
    wrong: list[str] = []
    routes = [(m, p, match(STUDIO_RULES, m, p)) for m, p in world["studio"]]
    for role, key in world["keys"].items():
        with httpx.Client(base_url=world["url"], timeout=30, follow_redirects=False) as http:
            if role != "annotator" and "project.read" not in ROLE_PERMISSIONS[role]:
                continue
            csrf = _studio_login(http, key)
            for method, template, rule in routes:
                assert rule is not None, f"Studio {method} {template} is not in the permission table"
                permission = rule[2]
                if permission is None or template.startswith("/static"):
                    continue
                path = concrete(template)
                headers = {"x-csrf-token": csrf} if method == "POST" else {}
                status = http.request(method, path, headers=headers, data={"csrf_token": csrf}
                                      if method == "POST" else None).status_code
                expected_allowed = permission in ROLE_PERMISSIONS[role]
                if denied(status) == expected_allowed:
                    wrong.append(f"{role}: {method} {path} ({permission}) answered {status}")
    assert not wrong, "\n".join(wrong)
