"""Every REST body is bounded before it is buffered: 413 with the envelope naming the limit and its setting."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest

from genloop.server import BackgroundServer, create_app
from genloop.settings import Settings
from genloop.store import Store

P = "/api/v1/projects/default"


@pytest.fixture
def small(tmp_path) -> Iterator[BackgroundServer]:  # type: ignore[no-untyped-def]
    """A server with a 64 KiB JSON limit and a 1 MiB upload limit, on a real SQLite file."""
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                        artifacts_uri=str(tmp_path / "artifacts"), max_body_mb=1 / 16, max_upload_mb=1)
    store = Store(settings)
    with BackgroundServer(create_app(store)) as srv:
        yield srv
    store.close()


def _chunks(total: int, size: int = 16 << 10) -> Iterator[bytes]:
    yield b'{"template": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


def _assert_413(response: httpx.Response, setting: str) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["type"] == "payload_too_large"
    assert "larger than this server's limit of" in error["message"] and setting in error["hint"]


def test_a_json_body_over_the_limit_is_413_before_it_is_read(small: BackgroundServer) -> None:
    template = "x" * (80 << 10)
    response = httpx.post(f"{small.url}{P}/prompts/big/versions", json={"template": template})
    _assert_413(response, "GENLOOP_MAX_BODY_MB")
    assert httpx.get(f"{small.url}{P}/prompts").json()["items"] == []
    # just under the limit is accepted
    ok = httpx.post(f"{small.url}{P}/prompts/big/versions", json={"template": "x" * (60 << 10)})
    assert ok.status_code == 201, ok.text


def test_a_chunked_json_body_is_counted_as_it_arrives(small: BackgroundServer) -> None:
    response = httpx.post(f"{small.url}{P}/prompts/big/versions", content=_chunks(200 << 10),
                          headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    _assert_413(response, "GENLOOP_MAX_BODY_MB")
    assert httpx.get(f"{small.url}{P}/prompts").json()["items"] == []


def test_uploads_get_the_upload_limit(small: BackgroundServer) -> None:
    rows = b"".join(b'{"text": "%d"}\n' % i for i in range(10_000))  # ~150 KiB: over the JSON limit, under 1 MiB
    files = {"file": ("rows.jsonl", io.BytesIO(rows), "application/octet-stream")}
    response = httpx.post(f"{small.url}{P}/datasets/d/versions", files=files)
    assert response.status_code == 201, response.text
    big = {"file": ("rows.jsonl", io.BytesIO(rows * 20), "application/octet-stream")}  # past the form's slack too
    _assert_413(httpx.post(f"{small.url}{P}/datasets/d/versions", files=big), "GENLOOP_MAX_UPLOAD_MB")
    run_id = httpx.post(f"{small.url}{P}/runs", json={"kind": "training"}).json()["id"]
    artifact = {"file": ("a.bin", io.BytesIO(b"\0" * (3 << 20)), "application/octet-stream")}
    response = httpx.post(f"{small.url}{P}/runs/{run_id}/artifacts", files=artifact, data={"name": "a.bin"})
    _assert_413(response, "GENLOOP_MAX_UPLOAD_MB")
    assert httpx.get(f"{small.url}{P}/runs/{run_id}").json()["artifacts"] == []


def test_the_default_limit_refuses_a_50_mb_template(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                        artifacts_uri=str(tmp_path / "artifacts"))
    assert settings.max_body_mb == 16
    store = Store(settings)
    with BackgroundServer(create_app(store)) as srv:
        body = b'{"template": "' + b"x" * (50 << 20) + b'"}'
        response = httpx.post(f"{srv.url}{P}/prompts/big/versions", content=body,
                              headers={"content-type": "application/json"}, timeout=60)
        _assert_413(response, "GENLOOP_MAX_BODY_MB")
        assert response.json()["error"]["details"] == {"limit_bytes": 16 << 20, "setting": "GENLOOP_MAX_BODY_MB"}
    store.close()


def test_the_gateway_bounds_declared_and_chunked_bodies_naming_its_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from genloop.gateway import with_gateway

    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                        artifacts_uri=str(tmp_path / "artifacts"), gateway_max_body_mb=1 / 16)
    store = Store(settings)
    with BackgroundServer(with_gateway(create_app(store), store)) as srv, httpx.Client(base_url=srv.url) as http:
        for body in (b'{"pad": "' + b"x" * (100 << 10) + b'"}', _chunks(200 << 10)):
            response = http.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
            assert response.status_code == 413, response.text
            error = response.json()["error"]
            assert error["code"] == "request_too_large" and "GENLOOP_GATEWAY_MAX_BODY_MB" in error["message"]
        # the REST half of the same server keeps its own limit
        _assert_413(http.post(f"{P}/prompts/big/versions", json={"template": "x" * (17 << 20)}), "GENLOOP_MAX_BODY_MB")
    store.close()


def test_every_upload_route_gets_the_upload_limit(store) -> None:  # type: ignore[no-untyped-def]
    """The middleware's list of upload operations is every multipart operation of the API, no more."""
    from genloop.server._limits import UPLOAD_OPERATIONS, multipart_operations

    assert multipart_operations(create_app(store).openapi()) == set(UPLOAD_OPERATIONS)
