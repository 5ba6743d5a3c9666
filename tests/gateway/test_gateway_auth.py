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
            assert http.get("/metrics", headers={"authorization": f"Bearer {reader.key}"}).status_code == 200
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
