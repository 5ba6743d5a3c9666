"""The runs and lineage REST API: status codes, multipart upload and streamed download."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_runs_rest_status_codes(server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=f"{server.url}/api/v1/projects/default") as http:
        started = http.post("/runs", json={"kind": "data", "params": {"a": 1}})
        assert started.status_code == 201
        run_id = started.json()["id"]
        assert http.post("/runs", json={"kind": "data", "inputs": ["dataset:nope"]}).status_code == 404
        assert http.post("/runs", json={"kind": "data", "inputs": ["nope"]}).status_code == 400
        assert http.post(f"/runs/{run_id}/metrics", json={"metrics": {"loss": 1.0}, "step": 3}).status_code == 204
        assert http.get(f"/runs/{run_id}/series/loss").json() == [{"step": 3, "value": 1.0}]
        upload = http.post(f"/runs/{run_id}/artifacts", data={"name": "out/data.bin"},
                           files={"file": ("data.bin", b"\x00abc" * 1000, "application/octet-stream")})
        assert upload.status_code == 201 and upload.json()["size_bytes"] == 4000
        download = http.get(f"/runs/{run_id}/artifacts/out/data.bin")
        assert download.status_code == 200 and download.content == b"\x00abc" * 1000
        assert download.headers["content-type"] == "application/octet-stream"
        assert http.get(f"/runs/{run_id}/artifacts/missing").status_code == 404
        assert http.post(f"/runs/{run_id}/finish", json={"status": "succeeded"}).status_code == 200
        frozen = http.post(f"/runs/{run_id}/params", json={"params": {"b": 2}})
        assert frozen.status_code == 409 and run_id in frozen.json()["error"]["message"]
        assert http.get("/runs/nope").status_code == 404
        assert http.get("/runs", params={"status": "succeeded"}).json()["total"] == 1
        assert http.get("/lineage/ghost").status_code == 404
        assert http.get("/lineage/model:x", params={"depth": -1}).status_code == 400
