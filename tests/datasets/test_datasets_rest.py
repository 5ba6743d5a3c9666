"""The REST API itself: status codes, the upload limit, streamed downloads, error envelopes."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import orjson
import pyarrow.parquet as pq
import pytest

from genloop.errors import PayloadTooLarge
from genloop.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The shared settings, with a 1 MiB upload limit so the 413 path is cheap to reach."""
    return Settings(home=tmp_path / "home", database_url=database_url, artifacts_uri=str(tmp_path / "artifacts"),
                    actor="tester", max_upload_mb=1)


def test_rest_upload_download_and_limits(server, store, tmp_path: Path, chat_rows) -> None:  # type: ignore[no-untyped-def]
    from genloop import Client

    api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=30)
    body = b"".join(orjson.dumps(r) + b"\n" for r in chat_rows)
    url = "/projects/default/datasets/chat/versions"
    first = api.post(url, files={"file": ("chat.jsonl", body)}, data={"kind": "chat", "tags": "sft, golden"},
                     headers={"x-genloop-actor": "alice"})
    assert first.status_code == 201, first.text
    assert first.json()["tags"] == ["sft", "golden"] and first.json()["created_by"] == "alice"
    assert api.post(url, files={"file": ("again.jsonl", body)}, data={"kind": "chat"}).status_code == 200

    bad = api.post(url, files={"file": ("chat.jsonl", body.replace(b'"tool"', b'"bot"'))}, data={"kind": "chat"})
    assert bad.status_code == 400
    assert bad.json()["error"] == {"type": "invalid_input", "message": "chat.jsonl line 3: messages[1].role is "
                                   "'bot'; valid roles: system, user, assistant, tool"}
    unknown = api.post(url, files={"file": ("notes.txt", body)})
    assert unknown.status_code == 400 and "cannot tell the format of 'notes.txt'" in unknown.json()["error"]["message"]
    assert api.post(url, data={"kind": "chat"}).status_code == 400  # no file part

    parquet = api.get("/projects/default/datasets/chat@1/content")
    assert parquet.status_code == 200 and parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert parquet.headers["content-disposition"] == 'attachment; filename="chat-1.parquet"'
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 3
    jsonl = api.get("/projects/default/datasets/chat/versions/1/content", params={"format": "jsonl"})
    assert [orjson.loads(line) for line in jsonl.content.splitlines()] == chat_rows
    assert api.get("/projects/default/datasets/chat@1/head", params={"n": 1}).json() == chat_rows[:1]
    missing = api.get("/projects/default/datasets/chat@7/content")
    assert missing.status_code == 404 and missing.json()["error"]["hint"] == "use chat@1"

    big = tmp_path / "big.jsonl"
    big.write_bytes(b'{"text": "' + b"x" * (1 << 20) + b'"}\n')
    with Client(server.url) as remote, pytest.raises(PayloadTooLarge, match="larger than this server's limit of 1"):
        remote.datasets.create("big", big)
    assert remote_files(store) == 1  # the one version's artifact; the spooled upload is gone
    spec = api.get("/openapi.json").json()
    assert "multipart/form-data" in spec["paths"]["/api/v1/projects/{project}/datasets/{name}/versions"]["post"][
        "requestBody"]["content"]
    api.close()


def remote_files(store) -> int:  # type: ignore[no-untyped-def]
    home_tmp = [p for p in (store.settings.resolved_home / "tmp").rglob("*") if p.is_file()]
    assert home_tmp == []
    return len([p for p in Path(store.settings.resolved_artifacts_uri).rglob("*") if p.is_file()])
