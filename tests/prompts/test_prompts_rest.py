"""The prompts REST API over a real uvicorn server: status codes, envelopes, render and diff endpoints."""

from __future__ import annotations

import httpx

BODY = {"messages": [{"role": "user", "content": "Hi {{ name }}"}], "params": {"temperature": 0}, "message": "m"}


def test_rest_flow(server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=f"{server.url}/api/v1/projects/demo/prompts",
                      headers={"x-genloop-actor": "alice"}) as http:
        created = http.post("/greet/versions", json=BODY)
        assert created.status_code == 201, created.text
        assert created.json()["version"] == 1 and created.json()["created_by"] == "alice"
        same = http.post("/greet/versions", json=BODY)
        assert same.status_code == 200 and same.json()["version"] == 1
        from_yaml = http.post("/greet/versions/yaml", json={"yaml": "template: 'Yo {{ name }}'\n", "filename": "g.yaml"})
        assert from_yaml.status_code == 201 and from_yaml.json()["template_type"] == "text"

        labelled = http.post("/greet@1/labels", json={"label": "production"})
        assert labelled.status_code == 200 and labelled.json()["labels"] == ["production"]
        got = http.get("/greet@production")
        assert got.status_code == 200 and got.json()["version"] == 1
        rendered = http.post("/greet@production/render", json={"variables": {"name": "Ada"}})
        assert rendered.json()["messages"] == [{"role": "user", "content": "Hi Ada"}]
        diff = http.get("/greet@1/diff", params={"other": "greet@2"})
        assert diff.status_code == 200 and diff.json()["b"] == "greet@2" and not diff.json()["identical"]
        listing = http.get(f"{server.url}/api/v1/projects/demo/prompts", params={"limit": 10}).json()
        assert listing["items"][0]["labels"] == {"production": 1} and listing["total"] == 1
        assert [v["version"] for v in http.get("/greet/versions").json()["items"]] == [2, 1]
        assert http.delete("/greet/labels/production").status_code == 204


def test_rest_errors_are_4xx_envelopes(server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=f"{server.url}/api/v1/projects/default/prompts") as http:
        assert http.post("/greet/versions", json=BODY).status_code == 201
        cases = [
            (http.post("/greet/versions", json={"template": "{{ a }", "message": "x"}), 400, "invalid_input",
             "template: template syntax error"),
            (http.post("/greet/versions/yaml", json={"yaml": "template: [unclosed\n", "filename": "g.yaml"}), 400,
             "invalid_input", "g.yaml:2: YAML syntax error"),
            (http.get("/greet@5"), 404, "not_found", "prompt 'greet' has no version 5 (latest is 1)"),
            (http.get("/greet@prod"), 404, "not_found", "prompt 'greet' has no label 'prod'"),
            (http.get("/missing"), 404, "not_found", "prompt 'missing' does not exist"),
            (http.post("/greet/render", json={"variables": {}}), 400, "invalid_input",
             "prompt 'greet@1' needs variable 'name'"),
            (http.post("/greet@9/labels", json={"label": "production"}), 404, "not_found", "has no version 9"),
            (http.post("/greet@1/labels", json={"label": "no good"}), 400, "invalid_input", "invalid label"),
            (http.delete("/greet/labels/production"), 404, "not_found", "has no label 'production'"),
            (http.get("/greet@1/diff", params={"other": "greet@3"}), 404, "not_found", "has no version 3"),
        ]
        for response, status, kind, message in cases:
            assert response.status_code == status, response.text
            error = response.json()["error"]
            assert error["type"] == kind and message in error["message"], error
        assert [v["version"] for v in http.get("/greet/versions").json()["items"]] == [1]
