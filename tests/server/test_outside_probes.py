"""An outside tester's probes of the routes of issues 13 and 15 (monitoring, pipelines, governance, users, members)
against one running server with auth on: two projects, a user key for each role in project ``pa`` and an admin
key in ``pb``. Cross-project access, role checks, malformed bodies (each a 4xx JSON envelope with a hint),
escaping of user-written text on the Studio pages, and CSRF on Studio POSTs."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from genloop.auth import KeyService, RoleService, UserService
from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store

A, B = "pa", "pb"
ROLES = ("admin", "editor", "reviewer", "annotator", "viewer")
XSS = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
MONITOR = {"name": "m1", "signal": "error_rate", "alert": 0.5, "deployment": "bot",
           "webhooks": [{"url": "http://127.0.0.1:9/hook"}]}
EVALUATOR = {"name": "e1", "deployment": "bot", "metric": "length"}
PIPELINE = {"name": "p1", "description": XSS,
            "spec": {"description": XSS, "steps": [{"name": "tell", "kind": "notify",
                                                     "params": {"url": "http://127.0.0.1:9/x", "message": XSS}}]}}
POLICY = {"name": "gate1", "description": XSS, "target": {"kind": "model", "name": "bot", "label": "production"}}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from genloop.gateway import with_gateway
    from genloop.server import create_app
    from genloop.studio import with_studio

    home = tmp_path_factory.mktemp("probes")
    store = Store(Settings(home=home, database_url=f"sqlite:///{home}/p.db", auth=True, actor="op"))
    keys: dict[str, str] = {}
    for role in ROLES:
        UserService(store).create(f"a-{role}")  # keys only: no scrypt hashing to wait for
        RoleService(store, A).grant(f"a-{role}", role)
        keys[role] = KeyService(store, A).create(f"k-{role}", scopes=["admin", "annotate"], user=f"a-{role}").key
    UserService(store).create("b-admin")
    RoleService(store, B).grant("b-admin", "admin")
    keys["b"] = KeyService(store, B).create("k-b", scopes=["admin"], user="b-admin").key
    app = with_studio(with_gateway(create_app(store), store), store)
    with BackgroundServer(app) as srv:
        for project, key in ((A, keys["admin"]), (B, keys["b"])):
            with _http(srv.url, key) as http:
                _ok(http.post(f"/api/v1/projects/{project}/monitoring/monitors", json=MONITOR))
                _ok(http.post(f"/api/v1/projects/{project}/monitoring/evaluators", json=EVALUATOR))
                _ok(http.post(f"/api/v1/projects/{project}/pipelines", json=PIPELINE))
        yield {"store": store, "keys": keys, "url": srv.url}
    store.close()


def _http(url: str, key: str | None = None) -> httpx.Client:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30, follow_redirects=False)


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code < 300, f"{response.request.method} {response.request.url}: {response.text[:400]}"
    return response


def _envelope(response: httpx.Response) -> dict[str, Any]:
    """A 4xx answer is the JSON error envelope with a message and a hint."""
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    body = response.json()
    error = body.get("error", body)
    assert error.get("message"), body
    assert error.get("hint"), body
    return error


# routes of project B that A's keys must never reach: (method, path, body)
B_ROUTES = [
    ("GET", "/monitoring/monitors", None), ("GET", "/monitoring/monitors/m1", None),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "m2"}),
    ("POST", "/monitoring/monitors/m1/enabled", {"enabled": False}),
    ("POST", "/monitoring/monitors/m1/evaluate", None), ("DELETE", "/monitoring/monitors/m1", None),
    ("GET", "/monitoring/evaluators", None), ("GET", "/monitoring/evaluators/e1/scores", None),
    ("POST", "/monitoring/evaluators/e1/enabled", {"enabled": False}), ("DELETE", "/monitoring/evaluators/e1", None),
    ("GET", "/monitoring/alerts", None), ("GET", "/monitoring/alerts/1/deliveries", None),
    ("POST", "/monitoring/drift", {}),
    ("GET", "/pipelines", None), ("GET", "/pipelines/p1", None), ("POST", "/pipelines", {**PIPELINE, "name": "p2"}),
    ("POST", "/pipelines/p1/runs", {}), ("GET", "/pipeline-runs", None), ("GET", "/pipeline-runs/x", None),
    ("GET", "/governance/policies", None), ("PUT", "/governance/policies", POLICY),
    ("GET", "/governance/reviews", None), ("POST", "/governance/reviews/1/decide", {"decision": "approve"}),
    ("GET", "/members", None), ("PUT", "/members/a-admin", {"role": "admin"}), ("DELETE", "/members/b-admin", None),
]


@pytest.mark.parametrize("role", ["admin", "editor", "reviewer"])
def test_a_key_of_one_project_never_reaches_another(world: dict[str, Any], role: str) -> None:
    wrong = []
    with _http(world["url"], world["keys"][role]) as http:
        for method, path, body in B_ROUTES:
            answer = http.request(method, f"/api/v1/projects/{B}{path}", json=body)
            if answer.status_code != 403 or "belongs to project" not in answer.text:
                wrong.append(f"{method} {path}: {answer.status_code} {answer.text[:120]}")
    assert not wrong, "\n".join(wrong)
    with _http(world["url"], world["keys"]["b"]) as http:  # B's things are as they were
        assert _ok(http.get(f"/api/v1/projects/{B}/monitoring/monitors/m1")).json()["enabled"] is True
        assert [p["name"] for p in _ok(http.get(f"/api/v1/projects/{B}/pipelines")).json()["items"]] == ["p1"]
        assert [m["user"] for m in _ok(http.get(f"/api/v1/projects/{B}/members")).json()] == ["b-admin"]


def test_roles(world: dict[str, Any]) -> None:
    base = f"/api/v1/projects/{A}"
    with _http(world["url"], world["keys"]["viewer"]) as viewer:
        assert viewer.get(f"{base}/monitoring/monitors").status_code == 200
        for method, path, body in [("POST", "/monitoring/monitors", {**MONITOR, "name": "v"}),
                                   ("DELETE", "/monitoring/monitors/m1", None),
                                   ("POST", "/monitoring/evaluators/e1/enabled", {"enabled": False}),
                                   ("POST", "/pipelines", {**PIPELINE, "name": "v"}),
                                   ("POST", "/pipelines/p1/runs", {}),
                                   ("PUT", "/governance/policies", POLICY),
                                   ("POST", "/governance/reviews/1/decide", {"decision": "approve"}),
                                   ("PUT", "/members/a-viewer", {"role": "admin"})]:
            answer = viewer.request(method, base + path, json=body)
            assert answer.status_code == 403, f"viewer {method} {path}: {answer.status_code}"
            assert _envelope(answer)
    with _http(world["url"], world["keys"]["annotator"]) as annotator:
        for path in ("/monitoring/monitors", "/monitoring/alerts", "/pipelines", "/pipeline-runs",
                     "/governance/policies"):
            assert annotator.get(base + path).status_code == 403, path
    with _http(world["url"], world["keys"]["reviewer"]) as reviewer:
        # past the permission check: the review does not exist
        assert reviewer.post(f"{base}/governance/reviews/424242/decide", json={"decision": "approve"}
                             ).status_code == 404
        assert reviewer.put(f"{base}/governance/policies", json=POLICY).status_code == 403
    with _http(world["url"], world["keys"]["editor"]) as editor:
        assert editor.put(f"{base}/members/a-editor", json={"role": "admin"}).status_code == 403
        assert editor.post("/api/v1/users", json={"name": "sneaky"}).status_code == 403


class _Raw(str):
    """A body sent as is (JSON too deep for json.dumps)."""


def _deep(n: int) -> Any:
    return _Raw('{"a": ' * n + "1" + "}" * n)


BAD_BODIES: list[tuple[str, str, Any]] = [
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "alert": 1e400}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "window_s": 10**30}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "alert": "NaN"}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n\u0000x"}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "<script>"}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "signal": "feedback_mean:\u0000"}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "webhooks": [{"url": "file:///etc/passwd"}]}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "webhooks": [{"url": "http://u:p@h/x"}]}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "webhooks": "http://x"}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "min_count": 10**20}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "min_count": 2**40}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "renotify_s": 2**40}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "deployment": XSS}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "variant": "v\u0000", "baseline_variant": "main"}),
    ("POST", "/monitoring/monitors", {**MONITOR, "name": "n", "webhooks": [{"url": "http://169.254.169.254/"}]}),
    ("POST", "/monitoring/evaluators", {**EVALUATOR, "name": "n", "deployment": "\u202e" + "x" * 300}),
    ("POST", "/monitoring/monitors", _deep(2000)),
    ("POST", "/monitoring/monitors", [1, 2]),
    ("POST", "/monitoring/evaluators", {**EVALUATOR, "name": "n", "sample_rate": float("inf")}),
    ("POST", "/monitoring/evaluators", {**EVALUATOR, "name": "n", "max_cost_per_day": -1}),
    ("POST", "/monitoring/evaluators", {**EVALUATOR, "name": "n", "max_cost_per_day": 1e400}),
    ("POST", "/monitoring/evaluators", {**EVALUATOR, "name": "n", "metric": {"name": "length", "x": float("nan")}}),
    ("POST", "/monitoring/evaluators", {**EVALUATOR, "name": "n", "metric": None,
                                        "judge": {"model": "mock:echo", "params": {"temperature": float("inf")}}}),
    ("POST", "/monitoring/evaluators", _Raw('{"name": "n", "deployment": "bot", "metric": ' + _deep(500) + "}")),
    ("POST", "/monitoring/evaluators", {**EVALUATOR, "name": "n\ud800"}),
    ("POST", "/monitoring/evaluators/e1/enabled", {"enabled": "maybe"}),
    ("POST", "/monitoring/drift", {"window_s": 10**40}),
    ("POST", "/monitoring/drift", {"signals": ["no-such-signal"]}),
    ("GET", "/monitoring/alerts?since_id=99999999999999999999", None),
    ("GET", "/monitoring/evaluators/e1/scores?since=not-a-date", None),
    ("POST", "/pipelines", {"name": "n", "spec": {"steps": [{"name": "a", "kind": "nope"}]}}),
    ("POST", "/pipelines", {"name": "n", "spec": "steps: [{name: a, kind: notify, depends_on: [a]}]\n"}),
    ("POST", "/pipelines", _Raw('{"name": "n", "spec": ' + _deep(200) + "}")),
    ("POST", "/pipelines", {"name": "n\u0000", "spec": PIPELINE["spec"]}),
    ("POST", "/pipelines", {"name": "n", "spec": "{{{{\n"}),
    ("POST", "/pipelines/p1/runs", {"params": "x"}),
    ("PUT", "/governance/policies", {**POLICY, "target": "model"}),
    ("PUT", "/governance/policies", _deep(300)),
    ("POST", "/governance/reviews", {"target": {"kind": "model", "name": "nope", "label": "production"}}),
    ("POST", "/governance/reviews/1/decide", {"decision": "maybe"}),
    ("PUT", "/members/a-viewer", {"role": "god"}),
    ("PUT", "/members/nobody-here", {"role": "viewer"}),
]


def test_malformed_bodies_are_envelopes_with_a_hint(world: dict[str, Any]) -> None:
    wrong = []
    with _http(world["url"], world["keys"]["admin"]) as http:
        for method, path, body in BAD_BODIES:
            content = None if body is None else body if isinstance(body, _Raw) else json.dumps(body, allow_nan=True)
            try:
                answer = http.request(method, f"/api/v1/projects/{A}{path}", content=content,
                                      headers={"content-type": "application/json"})
                _envelope(answer)
            except (AssertionError, ValueError, httpx.HTTPError) as exc:
                wrong.append(f"{method} {path} {str(content)[:80]}: {exc}")
        listing = http.get(f"/api/v1/projects/{A}/monitoring/monitors")  # nothing half-written or poisoned
        if listing.status_code != 200 or [m["name"] for m in listing.json()] != ["m1"]:
            wrong.append(f"monitors afterwards: {listing.status_code} {listing.text[:200]}")
    assert not wrong, "\n".join(wrong)


class _Scripts(HTMLParser):
    """Collects what a browser would run: script elements and on* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" or (tag == "script" and not any(k == "src" or v == "application/json" for k, v in attrs)):
            self.found.append(tag)
        self.found += [k for k, _v in attrs if k.startswith("on")]


@contextlib.contextmanager
def _studio(world: dict[str, Any], key: str) -> Iterator[tuple[httpx.Client, str]]:
    """A Studio session logged in with ``key`` and its CSRF token."""
    with httpx.Client(base_url=world["url"], timeout=30, follow_redirects=False) as http:
        yield http, _login(http, key)


def _login(http: httpx.Client, key: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)  # type: ignore[union-attr]
    assert http.post("/login", data={"key": key, "csrf_token": token, "next": "/"}).status_code in (200, 303)
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)  # type: ignore[union-attr]
    return token


def test_studio_pages_escape_user_text(world: dict[str, Any]) -> None:
    with _http(world["url"], world["keys"]["admin"]) as api:
        _ok(api.put(f"/api/v1/projects/{A}/governance/policies", json=POLICY))
        _ok(api.post(f"/api/v1/projects/{A}/monitoring/evaluators",
                     json={**EVALUATOR, "name": "judged", "judge": {"model": "mock:echo", "rubric": XSS},
                           "metric": None}))
    with _studio(world, world["keys"]["admin"]) as (http, _token):
        for path in (f"/projects/{A}/monitoring", f"/projects/{A}/pipelines", f"/projects/{A}/pipelines/p1",
                     f"/projects/{A}/governance"):
            page = _ok(http.get(path)).text
            parser = _Scripts()
            parser.feed(page)
            base = _Scripts()
            base.feed(_ok(http.get(f"/projects/{A}")).text)
            extra = [f for f in parser.found if f not in base.found or parser.found.count(f) > base.found.count(f)]
            assert "onerror" not in parser.found and "img" not in parser.found, (path, extra)
            assert "alert(2)</script>" not in page, path


def test_studio_posts_need_the_csrf_token(world: dict[str, Any]) -> None:
    with _studio(world, world["keys"]["admin"]) as (http, token):
        path = f"/projects/{A}/governance/reviews/424242/decide"
        for headers, data in (({}, {"decision": "approve"}), ({"x-csrf-token": "forged"}, {"decision": "approve"}),
                              ({}, {"decision": "approve", "csrf_token": "forged"})):
            answer = http.post(path, headers=headers, data=data)
            assert answer.status_code == 403 and "csrf" in answer.text.lower(), (headers, data, answer.status_code)
        # with the token it gets past the check (there is no such review)
        answer = http.post(path, headers={"x-csrf-token": token}, data={"decision": "approve", "csrf_token": token})
        assert answer.status_code == 404, answer.text[-600:]


def test_a_reviewer_can_decide_in_studio(world: dict[str, Any]) -> None:
    with _studio(world, world["keys"]["reviewer"]) as (http, token):
        answer = http.post(f"/projects/{A}/governance/reviews/424242/decide", headers={"x-csrf-token": token},
                           data={"decision": "approve", "csrf_token": token})
        assert answer.status_code == 404, answer.text[-300:]  # past the permission check: no such review


def test_a_pipeline_spec_over_rest_is_never_a_server_path(world: dict[str, Any], tmp_path: Any) -> None:
    secret = tmp_path / "server-only.yaml"
    secret.write_text("steps:\n  - {name: s, kind: notify, params: {url: 'http://x', message: 'SERVER-SECRET'}}\n")
    with _http(world["url"], world["keys"]["editor"]) as http:
        answer = http.post(f"/api/v1/projects/{A}/pipelines", json={"name": "leak", "spec": str(secret)})
        missing = http.post(f"/api/v1/projects/{A}/pipelines", json={"name": "leak", "spec": "/no/such/file.yaml"})
    assert "SERVER-SECRET" not in answer.text and answer.status_code == 400
    assert "does not exist" not in missing.text  # no probing of the server's files either


def test_a_studio_session_of_one_project_never_shows_another(world: dict[str, Any]) -> None:
    with _studio(world, world["keys"]["admin"]) as (http, _token):
        for path in (f"/projects/{B}/monitoring", f"/projects/{B}/pipelines", f"/projects/{B}/pipelines/p1",
                     f"/projects/{B}/governance", f"/projects/{B}/pipeline-runs/x"):
            answer = http.get(path)
            assert answer.status_code in (403, 404), (path, answer.status_code)
            assert "error_rate" not in answer.text and "notify" not in answer.text, path  # none of B's things
    with _studio(world, world["keys"]["annotator"]) as (http, _token):
        assert http.get(f"/projects/{A}/monitoring").status_code == 403
        assert http.get(f"/projects/{A}/pipelines").status_code == 403
