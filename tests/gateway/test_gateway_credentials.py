"""Server-held credentials go only where an operator sent them: named connections, or built-in provider settings.

A deployment's or model's own ``base_url`` (chosen by any writer of a project) gets no key at all, and
``api_key_env`` (which let a deployment read any environment variable of the server) is refused.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from genloop.auth import KeyService, install_auth
from genloop.connections import ConnectionService
from genloop.deployments import DeploymentService
from genloop.errors import Conflict, InvalidInput
from genloop.models import ModelService

CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "hi"}]
ANSWER = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                                  "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()


class Capture:
    """An upstream that records the credential headers each call brought (as an attacker's server would)."""

    def __init__(self) -> None:
        seen: list[dict[str, str]] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                seen.append({k.lower(): v for k, v in self.headers.items()
                             if k.lower() in ("authorization", "x-api-key", "x-goog-api-key")})
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(ANSWER)))
                self.end_headers()
                self.wfile.write(ANSWER)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def capture() -> Iterator[Capture]:
    server = Capture()
    yield server
    server.close()


def test_a_callers_base_url_gets_no_server_credentials(store, gateway_factory, capture, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator-env")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-operator")
    monkeypatch.setenv("DATABASE_PASSWORD", "hunter2")
    deployments = DeploymentService(store)
    with pytest.raises(InvalidInput, match="api_key_env"):
        deployments.create("leak-env", variants=[{"model": "openai:gpt-4o", "base_url": capture.url,
                                                  "api_key_env": "DATABASE_PASSWORD"}])
    deployments.create("direct", variants=[{"model": "openai:gpt-4o", "base_url": capture.url}])
    deployments.create("claude", variants=[{"model": "anthropic:claude", "base_url": capture.url}])
    ModelService(store).register("hosted", kind="provider", uri="openai:gpt-4o", base_url=capture.url)
    deployments.create("via-model", variants=[{"model": "hosted"}])
    with gateway_factory(openai_api_key=SecretStr("sk-operator-settings")) as gw, \
            httpx.Client(base_url=gw.url, timeout=20) as http:
        for name in ("direct", "claude", "via-model"):
            http.post(CHAT, json={"model": name, "messages": MESSAGES})
    assert len(capture.seen) >= 3
    assert all(not headers for headers in capture.seen), capture.seen


def test_connections_carry_the_operators_key_to_the_operators_endpoint(store, gateway_factory, capture,
                                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GPU_BOX_KEY", "sk-gpu-box")
    connections = ConnectionService(store)
    connections.create("gpu-box", provider="openai", base_url=capture.url, secret_env="GPU_BOX_KEY")
    connections.create("vault", provider="openai", base_url=capture.url, secret="sk-stored")
    with pytest.raises(Conflict):
        connections.create("vault", provider="openai", base_url=capture.url)
    for bad in ({"provider": "smtp"}, {"provider": "openai", "base_url": "ftp://x"},
                {"provider": "openai", "base_url": "http://user:pw@host/v1"},
                {"provider": "openai", "secret_env": "A B"}, {"provider": "openai", "secret_env": "A", "secret": "b"}):
        with pytest.raises(InvalidInput):
            connections.create("bad", **bad)
    assert not connections.get("vault").model_dump().get("secret") and connections.get("vault").has_secret
    deployments = DeploymentService(store)
    deployments.create("env", variants=[{"model": "openai:served", "connection": "gpu-box"}])
    deployments.create("stored", variants=[{"model": "openai:served", "connection": "vault"}])
    ModelService(store).register("boxed", kind="provider", uri="openai:served", config={"connection": "gpu-box"})
    deployments.create("model-conn", variants=[{"model": "boxed"}])
    from genloop.evals._plan import resolve_target

    with pytest.raises(InvalidInput, match="only the gateway resolves"):  # never a TypeError, never the key
        resolve_target(ModelService(store), "boxed")
    with pytest.raises(InvalidInput, match="does not exist"):  # references are checked when a version is made
        deployments.create("ghost", variants=[{"model": "openai:served", "connection": "nope"}])
    with pytest.raises(InvalidInput, match="speaks openai"):
        deployments.create("wrong-wire", variants=[{"model": "anthropic:claude", "connection": "gpu-box"}])
    with pytest.raises(InvalidInput, match="not both"):
        deployments.create("both", variants=[{"model": "openai:x", "connection": "vault", "base_url": capture.url}])
    with gateway_factory() as gw, httpx.Client(base_url=gw.url, timeout=20) as http:
        for name in ("env", "stored", "model-conn"):
            assert http.post(CHAT, json={"model": name, "messages": MESSAGES}).status_code == 200, name
        assert "broken" not in http.get("/healthz").json() or not http.get("/healthz").json()["broken"]
        connections.delete("vault")
        gw.refresh()
        assert http.post(CHAT, json={"model": "stored", "messages": MESSAGES}).status_code == 200  # last good view
        assert "default/stored" in http.get("/healthz").json()["broken"]
    assert [h.get("authorization") for h in capture.seen] == ["Bearer sk-gpu-box", "Bearer sk-stored",
                                                              "Bearer sk-gpu-box", "Bearer sk-stored"]


def test_only_an_operator_manages_connections_over_rest(store) -> None:  # type: ignore[no-untyped-def]
    from genloop.client._connections import RemoteConnections
    from genloop.client._http import HttpTransport
    from genloop.server import BackgroundServer, create_app

    app = create_app(store)
    install_auth(app, store)
    keys = KeyService(store)
    writer, admin = keys.create("w", scopes=["read", "write"]), keys.create("a", scopes=["admin"])
    operator = keys.create("op", scopes=["operator"])
    body = {"name": "box", "provider": "openai", "base_url": "http://evil.example/v1", "secret_env": "OPENAI_API_KEY"}
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url + "/api/v1") as http:
        for key in (writer, admin):
            answer = http.post("/connections", json=body, headers={"authorization": f"Bearer {key.key}"})
            assert answer.status_code == 403, answer.text
            assert http.get("/connections", headers={"authorization": f"Bearer {key.key}"}).status_code == 403
        transport = HttpTransport(srv.url, api_key=operator.key)
        remote = RemoteConnections(transport)
        made = remote.create("box", provider="openai", base_url="https://llm.internal/v1", secret="sk-shh")
        assert made.has_secret and "sk-shh" not in made.model_dump_json()
        listed = http.get("/connections", headers={"authorization": f"Bearer {operator.key}"})
        assert listed.status_code == 200 and "sk-shh" not in listed.text
        assert [c.name for c in remote.list().items] == ["box"] and remote.get("box").base_url.endswith("/v1")
        assert remote.delete("box").name == "box" and remote.list().total == 0
        transport.close()
