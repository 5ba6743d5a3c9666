"""The models REST API: status codes and error envelopes (the SDK parity tests cover the bodies)."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_models_rest_status_codes(server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=f"{server.url}/api/v1/projects/default") as http:
        body = {"kind": "provider", "uri": "openai:gpt-4o-mini"}
        assert http.post("/models/gpt/versions", json=body).status_code == 201
        assert http.post("/models/gpt/versions", json=body).status_code == 200
        bad = http.post("/models/gpt/versions", json={"kind": "lora", "uri": "x"})
        assert bad.status_code == 400
        assert bad.json()["error"]["type"] == "invalid_input" and "lora" in bad.json()["error"]["message"]
        assert http.post("/models/x/versions", json={"kind": "adapter", "uri": "s3://a", "base": "no"}).status_code == 404

        assert http.put("/models/gpt@1/aliases/champion").json()["aliases"] == ["champion"]
        assert http.get("/models/gpt@champion").json()["version"] == 1
        assert "history" not in http.get("/models/gpt@champion").json()
        assert len(http.get("/models/gpt@1", params={"history": "true"}).json()["history"]) == 1
        assert http.get("/models/gpt@nope").status_code == 404
        ok = http.post("/models/gpt@1/status", json={"status": "approved", "reason": "good"})
        assert ok.status_code == 200 and ok.json()["status"] == "approved"
        assert http.post("/models/gpt@1/status", json={"status": "draft"}).status_code == 409
        assert http.post("/models/gpt@1/status", json={"status": "shipped"}).status_code == 400
        assert http.delete("/models/gpt/aliases/champion").status_code == 204
        assert http.delete("/models/gpt/aliases/champion").status_code == 404
        assert http.get("/models", params={"limit": 0}).status_code == 400
        assert http.get("/models/gpt/versions").json()["total"] == 1
