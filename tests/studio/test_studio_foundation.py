"""Studio's foundation: mounting beside the APIs, sessions and login, CSRF, access checks, escaping, assets."""

from __future__ import annotations

import json
import re
import stat
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from genloop.auth import KeyService
from genloop.datasets import DatasetService
from genloop.store import Store
from studio.conftest import BASE, csrf_of, login, server_app, token

ROOT = Path(__file__).resolve().parents[2]


def test_studio_is_served_at_root_beside_rest_and_gateway(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha").create("golden", [{"q": "a"}])
    home = web.get("/")
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert 'href="/projects/alpha"' in home.text
    assert web.get("/api/v1/health").json()["status"] == "ok"
    assert web.get("/healthz").status_code == 200
    assert web.get("/api/v1/projects/alpha/datasets").json()["total"] == 1
    assert web.get("/no/such/page").status_code == 404
    assert "no such page" in web.get("/no/such/page").text


def test_project_overview_lists_latest_changes(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha", actor="ana").create("golden", [{"q": "a"}])
    page = web.get("/projects/alpha")
    assert page.status_code == 200
    assert "golden" in page.text and "ana" in page.text
    assert "No deployments." in page.text and "No evaluation runs." in page.text


def test_htmx_request_gets_the_content_block_only(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha").create("golden", [{"q": "a"}])
    full = web.get("/projects/alpha/audit")
    part = web.get("/projects/alpha/audit", headers={"HX-Request": "true", "HX-Target": "audit-list"})
    assert "<html" in full.text and "<html" not in part.text
    assert 'id="audit-list"' in part.text
    assert "HX-Request" in part.headers["vary"]
    # a boosted link, and the page htmx loads after an action (no target), are whole pages
    boosted = web.get("/projects/alpha/audit", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text
    assert "<html" in web.get("/projects/alpha/audit", headers={"HX-Request": "true"}).text


def test_vendored_assets_match_their_recorded_hashes() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import vendor_assets
    finally:
        sys.path.pop(0)
    assert vendor_assets.check() == []
    manifest = json.loads(vendor_assets.MANIFEST.read_text())
    names = {p["name"] for p in manifest["packages"]}
    assert names == {"htmx.org", "uplot"}
    for package in manifest["packages"]:
        assert package["version"] and package["license"] and package["integrity"].startswith("sha512-")
        assert any(name.endswith("LICENSE") for name in package["files"])
    # a changed byte is caught
    target = vendor_assets.VENDOR / "htmx.LICENSE"
    original = target.read_bytes()
    try:
        target.write_bytes(original + b" ")
        assert any("htmx.LICENSE" in problem for problem in vendor_assets.check())
    finally:
        target.write_bytes(original)


def test_static_files_are_served_with_caching(web: TestClient) -> None:
    for path in ("/static/studio.css", "/static/studio.js", "/static/vendor/htmx.min.js",
                 "/static/vendor/uPlot.iife.min.js"):
        answer = web.get(path)
        assert answer.status_code == 200, path
        assert "max-age" in answer.headers["cache-control"]


def test_auth_on_asks_for_a_key_once_and_keeps_a_session(auth_web: TestClient, auth_store: Store) -> None:
    key = KeyService(auth_store, "alpha").create("ana", scopes=["read", "write"]).key
    first = auth_web.get("/projects/alpha/audit?name=x", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=/projects/alpha/audit")
    bad = auth_web.post("/login", data={"key": "glk_wrong", "csrf_token": csrf_of(auth_web.get("/login").text)})
    assert bad.status_code == 401 and "invalid" in bad.text
    token_before = csrf_of(auth_web.get("/login").text)
    login(auth_web, key)
    cookie = auth_web.cookies.get("genloop_session")
    assert cookie
    assert auth_web.get("/projects/alpha").status_code == 200
    assert csrf_of(auth_web.get("/projects/alpha/audit").text) != token_before  # a new session at login
    # the cookie's flags
    answer = auth_web.post("/login", data={"key": key, "csrf_token": token(auth_web, "/login")}, follow_redirects=False)
    set_cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    # the REST API still wants a bearer key: the Studio cookie is no key for it
    assert auth_web.get("/api/v1/projects/alpha/datasets").status_code == 401


def test_a_key_sees_only_its_project(auth_web: TestClient, auth_store: Store) -> None:
    DatasetService(auth_store, "beta").create("secret", [{"q": "a"}])
    key = KeyService(auth_store, "alpha").create("ana", scopes=["read"]).key
    login(auth_web, key)
    assert auth_web.get("/projects/beta").status_code == 403
    assert auth_web.get("/projects/beta/audit").status_code == 403
    assert "belongs to project" in auth_web.get("/projects/beta/audit").text
    assert "/projects/beta" not in auth_web.get("/").text


def test_a_revoked_key_ends_the_session(auth_web: TestClient, auth_store: Store) -> None:
    created = KeyService(auth_store, "alpha").create("ana", scopes=["read"])
    login(auth_web, created.key)
    assert auth_web.get("/projects/alpha").status_code == 200
    KeyService(auth_store, "alpha").revoke(created.id)
    assert auth_web.get("/projects/alpha", follow_redirects=False).status_code == 303


def test_a_tampered_or_foreign_cookie_is_no_session(auth_web: TestClient, auth_store: Store) -> None:
    key = KeyService(auth_store, "alpha").create("ana", scopes=["read"]).key
    login(auth_web, key)
    cookie = auth_web.cookies["genloop_session"]
    payload, _, signature = cookie.partition(".")
    auth_web.cookies.clear()
    auth_web.cookies.set("genloop_session", payload[:-2] + "AA." + signature)
    assert auth_web.get("/projects/alpha", follow_redirects=False).status_code == 303
    auth_web.cookies.clear()
    auth_web.cookies.set("genloop_session", "garbage")
    assert auth_web.get("/projects/alpha", follow_redirects=False).status_code == 303


def test_post_without_the_csrf_token_is_refused(auth_web: TestClient, auth_store: Store) -> None:
    key = KeyService(auth_store, "alpha").create("ana", scopes=["read"]).key
    login(auth_web, key)
    refused = auth_web.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    refused = auth_web.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert auth_web.get("/projects/alpha").status_code == 200  # still logged in
    answer = auth_web.post("/logout", headers={"X-CSRF-Token": token(auth_web, "/projects/alpha")},
                           follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert auth_web.get("/projects/alpha", follow_redirects=False).status_code == 303


def test_login_needs_read_scope_and_never_redirects_off_site(auth_web: TestClient, auth_store: Store) -> None:
    gateway_only = KeyService(auth_store, "alpha").create("bot", scopes=["gateway"]).key
    answer = auth_web.post("/login", data={"key": gateway_only, "csrf_token": csrf_of(auth_web.get("/login").text)})
    assert answer.status_code == 403 and "read" in answer.text
    key = KeyService(auth_store, "alpha").create("ana", scopes=["read"]).key
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = auth_web.post("/login", data={"key": key, "next": evil,
                                               "csrf_token": csrf_of(auth_web.get("/login").text)},
                               follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/projects/alpha"


def test_user_data_and_query_values_are_escaped(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha", actor="<script>alert(1)</script>").create("golden", [{"q": "a"}])
    page = web.get("/projects/alpha/audit", params={"actor": '"><script>alert(2)</script>'})
    assert "<script>alert(2)" not in page.text and "&lt;script&gt;alert(2)" in page.text
    page = web.get("/projects/alpha")
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_bad_query_values_are_a_400_page_naming_them(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha").create("golden", [{"q": "a"}])
    answer = web.get("/projects/alpha/audit?offset=abc")
    assert answer.status_code == 400 and "offset" in answer.text
    answer = web.get("/projects/alpha/audit?limit=100000")
    assert answer.status_code == 400 and "limit" in answer.text
    answer = web.get("/projects/alpha/audit?since=yesterday")
    assert answer.status_code == 400 and "since" in answer.text


def test_session_secret_is_generated_once_and_private(store: Store) -> None:
    with TestClient(server_app(store), base_url=BASE) as client:
        client.get("/")
    path = store.settings.resolved_home / "studio_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    with TestClient(server_app(store), base_url=BASE) as client:
        client.get("/")
    assert path.read_text() == first


def test_cookie_is_secure_off_loopback(store: Store) -> None:
    with TestClient(server_app(store), base_url="http://studio.example") as client:
        assert "secure" in client.get("/").headers["set-cookie"].lower()
    with TestClient(server_app(store), base_url=BASE) as client:
        assert "secure" not in client.get("/").headers["set-cookie"].lower()


def test_overview_shows_each_deployments_traffic_of_the_last_hour(web: TestClient, store: Store) -> None:
    import time

    from genloop.deployments import DeploymentService
    from genloop.tracing import TraceService

    DeploymentService(store, "alpha").create("bot", variants=[{"name": "main", "model": "mock:echo"}])
    now = time.time()
    TraceService(store, "alpha").record(
        [{"id": f"{i:032x}", "deployment": "bot", "started_at": now - 60 * i, "latency_ms": 100.0,
          "status": "error" if i == 0 else "ok", "input_tokens": 3, "output_tokens": 2} for i in range(5)]
        + [{"id": f"{99:032x}", "deployment": "bot", "started_at": now - 7200, "status": "ok"}])  # 2 h ago
    page = web.get("/projects/alpha").text
    row = page[page.index('href="/projects/alpha/deployments/bot"'):].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells[1] == "5" and cells[2].strip() == "20%" and cells[3].strip() == "100 ms" and cells[4] == "25"


def test_lists_page_through_and_keep_their_filters(web: TestClient, store: Store) -> None:
    for i in range(5):
        DatasetService(store, "alpha", actor="ana").create(f"set{i}", [{"q": "a"}])
    first = web.get("/projects/alpha/audit?actor=ana&limit=4").text
    assert "1–4 of" in first
    nxt = re.search(r'href="([^"]+)" rel="next"', first)
    assert nxt, "no link to the next page"
    link = nxt.group(1).replace("&amp;", "&")
    assert "actor=ana" in link and "limit=4" in link and "offset=4" in link
    second = web.get(link).text
    assert "5–8 of" in second and 'rel="prev"' in second


def test_genloop_server_app_serves_studio_rest_and_gateway(store: Store) -> None:
    from genloop.server import create_server

    DatasetService(store, "alpha").create("golden", [{"q": "a"}])
    with TestClient(create_server(store.settings), base_url=BASE) as client:
        assert 'href="/projects/alpha"' in client.get("/").text
        assert client.get("/api/v1/projects/alpha/datasets").json()["total"] == 1
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/nope").headers["content-type"].startswith("application/json")
