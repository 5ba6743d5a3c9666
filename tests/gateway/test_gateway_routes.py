"""The gateway's REST routers and its composition with the REST server on one port."""

from __future__ import annotations

import httpx

from genloop.gateway import with_gateway
from genloop.server import create_app
from genloop.server.app import API_PREFIX

from .conftest import ServerThread, mock_variant


# The core REST app still answers dict routes (/api/v1/health) with FastAPI's deprecated ORJSONResponse.
def test_rest_server_with_gateway_on_one_port(store, upstream) -> None:
    app = with_gateway(create_app(store), store)
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=10) as http:
        created = http.post(f"{API_PREFIX}/projects/default/deployments",
                            json={"name": "chat", "variants": [mock_variant(upstream)]})
        assert created.status_code == 201, created.text
        app.gateway.gateway.refresh_now()
        answer = http.post("/v1/chat/completions", json={"model": "chat", "messages": [{"role": "user", "content": "a"}]})
        assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"] == "a"
        assert b"genloop_gateway_requests_total" in http.get("/metrics").content
        assert http.get(f"{API_PREFIX}/health").status_code == 200
        app.gateway.gateway.writer.flush()
        trace_id = answer.headers["x-genloop-trace-id"]
        shown = http.get(f"{API_PREFIX}/projects/default/traces/{trace_id}").json()
        assert shown["deployment"] == "chat" and shown["spans"][0]["kind"] == "server"
