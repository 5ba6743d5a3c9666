"""Keys on the gateway and the REST API: 401 without a valid key, 403 outside its scope, 429 over its limits."""

from __future__ import annotations

import httpx
import openai
import pytest

from genloop.auth import KeyService, install_auth
from genloop.tracing import TraceService

from .conftest import ServerThread, mock_variant

# The core REST app still answers dict routes (/api/v1/health) with FastAPI's deprecated ORJSONResponse.
MESSAGES = [{"role": "user", "content": "hi"}]


def test_gateway_keys_scopes_limits_and_revocation(store, upstream, deploy, gateway_factory) -> None:
    deploy("open", variants=[mock_variant(upstream)])
    deploy("private", variants=[mock_variant(upstream)])
    keys = KeyService(store)
    good = keys.create("app", deployments=["open"], rpm_limit=3)
    reader = keys.create("reader", scopes=["read"])
    other = KeyService(store, "elsewhere").create("other")
    with gateway_factory(auth=True) as gw:
        with pytest.raises(openai.AuthenticationError):
            gw.openai("glk_wrong_key").chat.completions.create(model="open", messages=MESSAGES)
        with pytest.raises(openai.PermissionDeniedError):
            gw.openai(reader.key).chat.completions.create(model="open", messages=MESSAGES)
        with pytest.raises(openai.PermissionDeniedError):
            gw.openai(good.key).chat.completions.create(model="private", messages=MESSAGES)
        with pytest.raises(openai.NotFoundError):  # a key only sees its own project's deployments
            gw.openai(other.key).chat.completions.create(model="open", messages=MESSAGES)
        client = gw.openai(good.key)
        assert [m.id for m in client.models.list()] == ["open"]
        client.chat.completions.create(model="open", messages=MESSAGES)
        client.chat.completions.create(model="open", messages=MESSAGES)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="open", messages=MESSAGES)
        keys.revoke(good.id)
        gw.refresh()
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="open", messages=MESSAGES)
        with httpx.Client(base_url=gw.url) as http:
            assert http.get("/metrics").status_code == 401
            assert http.get("/metrics", headers={"authorization": f"Bearer {reader.key}"}).status_code == 403
        gw.flush()
    traces = TraceService(store).list(limit=100).items
    assert sum(t.api_key == good.id for t in traces) >= 3
    assert {t.status for t in traces} >= {"ok", "error", "rejected"}


def test_budget_is_enforced(store, upstream, deploy, gateway_factory) -> None:
    deploy("priced", variants=[{"model": "openai:gpt-4o-mini", "base_url": upstream.url + "/v1"}])
    key = KeyService(store).create("tight", budget_usd=0.000001)
    with gateway_factory(auth=True) as gw:
        client = gw.openai(key.key)
        client.chat.completions.create(model="priced", messages=[{"role": "user", "content": "word " * 50}])
        with pytest.raises(openai.RateLimitError) as exceeded:
            client.chat.completions.create(model="priced", messages=MESSAGES)
        assert exceeded.value.code == "insufficient_quota"
        gw.flush()
    assert KeyService(store).get(key.id).spent_usd > 0.000001


def test_rest_api_auth_middleware(store) -> None:
    from genloop.server import create_app
    from genloop.server.app import API_PREFIX

    admin = KeyService(store).create("admin", scopes=["admin"])
    reader = KeyService(store).create("reader", scopes=["read"])
    app = create_app(store)
    install_auth(app, store)
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url + API_PREFIX) as http:
        assert http.get("/health").status_code == 200
        assert http.get("/projects/default/deployments").status_code == 401
        as_reader = {"authorization": f"Bearer {reader.key}"}
        assert http.get("/projects/default/deployments", headers=as_reader).status_code == 200
        assert http.get("/projects/other/deployments", headers=as_reader).status_code == 403
        denied = http.post("/projects/default/deployments", headers=as_reader, json={"name": "x", "variants": []})
        assert denied.status_code == 403 and denied.json()["error"]["type"] == "forbidden"
        assert http.get("/projects/default/keys", headers=as_reader).status_code == 403
        listed = http.get("/projects/default/keys", headers={"authorization": f"Bearer {admin.key}"})
        assert listed.status_code == 200 and listed.json()["total"] == 2


def test_every_gateway_route_answers_401_and_403(store, upstream, deploy) -> None:
    """With auth on, each gateway route and each REST route on the same port refuses a missing or wrong key
    (401) and a key outside its scope (403); the right key gets through."""
    from genloop.gateway import with_gateway
    from genloop.server import create_app
    from genloop.settings import Settings

    deploy("chat", variants=[mock_variant(upstream)])
    keys = KeyService(store)
    caller, reader = keys.create("caller", scopes=["gateway"]), keys.create("reader", scopes=["read"])
    monitor = keys.create("monitor", scopes=["metrics"])
    settings = Settings(**{**store.settings.model_dump(), "auth": True, "trace_flush_interval": 0.05})
    app = with_gateway(create_app(store), store, settings)
    routes = [("POST", "/v1/chat/completions", {"model": "chat", "messages": MESSAGES}, caller),
              ("POST", "/v1/embeddings", {"model": "chat", "input": "x"}, caller),
              ("GET", "/v1/models", None, caller),
              ("POST", "/v1/traces", {"resourceSpans": []}, caller),
              ("GET", "/metrics", None, monitor),
              ("GET", "/api/v1/projects/default/traces", None, reader),
              ("GET", "/api/v1/projects/default/deployments", None, reader),
              ("GET", "/api/v1/projects/default/feedback", None, reader)]
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=10) as http:
        app.gateway.gateway.refresh_now()
        for method, path, body, allowed in routes:
            wrong = reader if allowed in (caller, monitor) else caller
            for headers, status in (({}, 401), ({"authorization": "Bearer glk_nope_secret"}, 401),
                                    ({"authorization": f"Bearer {wrong.key}"}, 403),
                                    ({"authorization": f"Bearer {allowed.key}"}, 200)):
                answer = http.request(method, path, json=body, headers=headers)
                assert answer.status_code == status, (method, path, headers, answer.text)
                if status != 200:
                    assert "error" in answer.json(), (method, path)
        assert http.get("/healthz").status_code == 200  # liveness stays open for orchestrators
        app.gateway.gateway.writer.flush(15)
    refused = TraceService(store).list(status="error", limit=100).items
    assert {t.http_status for t in refused} == {401, 403} and len(refused) == 6  # 2 model routes x 3 refusals


def test_tokens_per_minute_limit(store, upstream, deploy, gateway_factory) -> None:
    deploy("chat", variants=[mock_variant(upstream)])
    key = KeyService(store).create("wordy", tpm_limit=20)
    with gateway_factory(auth=True) as gw:
        client = gw.openai(key.key)
        used = client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "word " * 15}])
        assert used.usage.total_tokens > 20
        with pytest.raises(openai.RateLimitError) as exceeded:
            client.chat.completions.create(model="chat", messages=MESSAGES)
        assert exceeded.value.code == "rate_limit_exceeded" and "tokens per minute" in str(exceeded.value)
        assert int(exceeded.value.response.headers["retry-after"]) >= 1
        gw.flush()
    statuses = sorted(t.status for t in TraceService(store).list(limit=10).items)
    assert statuses == ["ok", "rejected"]


def test_health_details_and_metrics_are_scoped(store, upstream, deploy, deploy_broken, gateway_factory) -> None:
    """/healthz: bare without a key; a project's key sees only its project; upstream URLs, backlog and dead
    letters only for a metrics key. /metrics: only a metrics (or operator) key; admin does not imply it."""
    deploy("chat", variants=[mock_variant(upstream)])
    deploy_broken("broken")
    deploy_broken("theirs", project="other")
    admin = KeyService(store).create("admin", scopes=["admin"])
    other = KeyService(store, "other").create("r", scopes=["read"])
    monitor = KeyService(store, "ops").create("m", scopes=["metrics"])
    with gateway_factory(auth=True) as gw, httpx.Client(base_url=gw.url) as http:
        gw.openai(admin.key).chat.completions.create(model="chat", messages=MESSAGES)
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/healthz", headers={"authorization": "Bearer glk_bad_key"}).status_code == 401
        mine = http.get("/healthz", headers={"authorization": f"Bearer {admin.key}"}).json()
        assert mine["broken"].keys() == {"default/broken"} and mine["deployments"] == 1
        assert "circuits" not in mine and "traces_pending" not in mine
        theirs = http.get("/healthz", headers={"authorization": f"Bearer {other.key}"}).json()
        assert theirs["broken"].keys() == {"other/theirs"} and theirs["deployments"] == 0
        every = http.get("/healthz", headers={"authorization": f"Bearer {monitor.key}"}).json()
        assert every["broken"].keys() == {"default/broken", "other/theirs"}
        assert every["circuits"] and every["traces_dead_lettered"] == 0
        assert http.get("/metrics", headers={"authorization": f"Bearer {admin.key}"}).status_code == 403
        scraped = http.get("/metrics", headers={"authorization": f"Bearer {monitor.key}"})
        assert scraped.status_code == 200 and b"genloop_gateway_traces_dead_lettered_total" in scraped.content


def test_server_scopes_are_granted_only_by_an_operator(store) -> None:
    app = create_app_with_auth(store)
    admin = KeyService(store).create("admin", scopes=["admin"])
    operator = KeyService(store).create("op", scopes=["operator"])
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url + "/api/v1") as http:
        for scope in ("metrics", "operator"):
            refused = http.post("/projects/default/keys", json={"name": f"x{scope}", "scopes": [scope]},
                                headers={"authorization": f"Bearer {admin.key}"})
            assert refused.status_code == 403, refused.text
        made = http.post("/projects/default/keys", json={"name": "scraper", "scopes": ["metrics"]},
                         headers={"authorization": f"Bearer {operator.key}"})
        assert made.status_code == 201 and made.json()["scopes"] == ["metrics"]


def create_app_with_auth(store):  # type: ignore[no-untyped-def]
    from genloop.server import create_app

    app = create_app(store)
    install_auth(app, store)
    return app
