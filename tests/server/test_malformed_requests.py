"""Malformed requests are the caller's mistake: a 4xx with the JSON error envelope, never a 500.

Each case below answered 500 before its fix (found by a REST fuzzer and by schemathesis); the
schemathesis run in ``test_schemathesis.py`` keeps looking for new ones.
"""

from __future__ import annotations

import json

import httpx
import pytest

P = "/api/v1/projects/default"
HUGE = 2**64 + 1  # past SQL's 64-bit integers

#: Every paged list route of the REST API.
PAGED = [
    "/audit", "/datasets", "/datasets/d/versions", "/deployments", "/deployments/d/versions", "/evals",
    "/evals/r/items", "/evals/r/pairs", "/feedback", "/keys", "/models", "/models/m/versions", "/prompts",
    "/prompts/p/versions", "/runs", "/traces",
]


def _assert_envelope(response: httpx.Response, status: int = 400) -> dict[str, str]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] and error["message"]
    return error  # type: ignore[no-any-return]


@pytest.fixture
def http(server) -> httpx.Client:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def test_offsets_and_limits_past_64_bits_are_400(http: httpx.Client) -> None:
    for path in PAGED:
        for params in ({"offset": HUGE}, {"offset": 2**63}, {"limit": HUGE}, {"offset": -1}):
            error = _assert_envelope(http.get(P + path, params=params))
            assert next(iter(params)) in error["message"], (path, error)


def test_versions_past_32_bits_are_400(http: httpx.Client) -> None:
    for path in ("/datasets/d/versions/99999999999999999999", "/datasets/d@99999999999999999999",
                 "/prompts/p@2147483648", "/models/m@99999999999999999999999", "/lineage/dataset:d@2147483648"):
        response = http.get(P + path)
        assert response.status_code in {400, 404}, (path, response.text)
        _assert_envelope(response, response.status_code)


def test_a_name_ending_in_a_newline_creates_nothing(http: httpx.Client) -> None:
    response = http.post("/api/v1/projects/team%0A/prompts/greeting/versions", json={"template": "hi"})
    assert "project name" in _assert_envelope(response)["message"]
    response = http.post(P + "/prompts/greeting%0A/versions", json={"template": "hi"})
    assert "name" in _assert_envelope(response)["message"]
    assert http.get(P + "/prompts").json()["items"] == []


def test_evaluation_resume_body_without_its_run_id_is_400(http: httpx.Client) -> None:
    run_id = http.post(P + "/evals/runs", json={"spec": {}, "spec_hash": "h"}).json()["run_id"]
    error = _assert_envelope(http.post(f"{P}/evals/{run_id}/continue-from", json={}))
    assert "run_id" in error["message"]


@pytest.mark.parametrize("batch", [
    {"cache": [{}]},
    {"items": [{}]},
    {"items": [{"example_id": "e", "example_index": HUGE, "candidate": "c", "status": "ok"}]},
    {"items": [{"example_id": "e", "example_index": 0, "candidate": "c", "status": "ok", "surprise": 1}]},
    {"pairs": [{"judge": "j"}]},
])
def test_malformed_evaluation_batches_are_400(http: httpx.Client, batch: dict[str, object]) -> None:
    run_id = http.post(P + "/evals/runs", json={"spec": {}, "spec_hash": "h"}).json()["run_id"]
    _assert_envelope(http.post(f"{P}/evals/{run_id}/batch", json=batch))
    assert http.get(f"{P}/evals/{run_id}/done").json() == {"items": [], "pairs": []}


def test_series_keys_and_steps_are_checked(http: httpx.Client) -> None:
    run_id = http.post(P + "/runs", json={"kind": "training"}).json()["id"]
    for key in ({}, [], 5, "bad key"):
        error = _assert_envelope(http.post(f"{P}/runs/{run_id}/series", json={"key": key, "points": []}))
        assert "metric name" in error["message"]
    error = _assert_envelope(http.post(f"{P}/runs/{run_id}/series", json={"key": "loss", "points": [[HUGE, 1.0]]}))
    assert "body.points[0][0] is an integer past 64 bits" in error["message"]
    error = _assert_envelope(http.post(f"{P}/runs/{run_id}/series", json={"key": "loss", "points": [[2**63 - 1, 1.0],
                                                                                                    [-1, 1.0]]}))
    assert "step must be an integer >= 0" in error["message"]


@pytest.mark.parametrize("text", ["template: |\n  hello\n  \x00\n", "template: \x1b[31m\n", "template: \ud800\n"])
def test_characters_yaml_refuses_are_400_naming_the_line(http: httpx.Client, store, text: str) -> None:  # type: ignore[no-untyped-def]
    from genloop import Client
    from genloop.errors import InvalidInput

    body = json.dumps({"yaml": text, "filename": "p.yaml"})  # ASCII JSON: a lone surrogate travels escaped
    response = http.post(P + "/prompts/greeting/versions/yaml", content=body,
                         headers={"content-type": "application/json"})
    error = _assert_envelope(response)
    # NUL and lone surrogates are refused with the JSON body already; other control characters by the YAML reader
    assert error["message"].startswith(("p.yaml:", "invalid request: body.yaml holds"))
    with pytest.raises(InvalidInput, match=r"^p\.yaml:\d: character 0x[0-9a-f]{4} is not allowed in YAML"):
        Client(store=store).prompts.create_from_yaml("greeting", text, filename="p.yaml")


@pytest.mark.parametrize(("path", "body"), [
    ("/prompts/p/versions", {"template": "hi \ud800"}),
    ("/prompts/p/versions", {"template": "hi", "message": "a\x00b"}),
    ("/runs", {"kind": "training", "name": "\udc00"}),
    ("/runs", {"kind": "training", "params": {"x": ["ok", "nul\x00"]}}),
    ("/feedback", {"trace_id": "0" * 32, "comment": "\ud83d alone"}),
    ("/deployments", {"name": "d", "variants": [{"model": "mock:echo"}], "message": "\ud800"}),
])
def test_text_no_store_can_keep_is_400_naming_the_field(http: httpx.Client, path: str, body: dict) -> None:
    """A lone surrogate or a NUL, escaped in JSON, was a 500 (UnicodeEncodeError; PostgreSQL refuses NUL)."""
    raw = json.dumps(body)  # ASCII JSON: the characters travel as \\u escapes
    response = http.post(P + path, content=raw, headers={"content-type": "application/json"})
    error = _assert_envelope(response)
    assert "lone surrogate" in error["message"] or "NUL character" in error["message"]
    assert error["message"].startswith("invalid request: body.")
    assert http.get(P + "/runs").json()["items"] == [] and http.get(P + "/prompts").json()["items"] == []


def test_a_surrogate_pair_and_escaped_backslashes_are_fine(http: httpx.Client) -> None:
    raw = json.dumps({"template": "smile \U0001f600 and a literal \\u0000"})
    response = http.post(P + "/prompts/p/versions", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["template"] == "smile \U0001f600 and a literal \\u0000"


@pytest.mark.parametrize("url", ["/runs/a%00b", "/evals/a%00b", "/traces/a%00b", "/keys/a%00b", "/audit?entity_type=a%00",
                                 "/evals/compare?run_a=a%00&run_b=b", "/evals/resumable?spec_hash=%00"])
def test_a_nul_in_the_url_is_400_on_every_backend(http: httpx.Client, url: str) -> None:
    """PostgreSQL refuses NUL in text (a 500 there, a 404 on SQLite): refused the same way on both."""
    assert "NUL" in _assert_envelope(http.get(P + url))["message"]


@pytest.mark.parametrize(("path", "raw", "needle"), [
    ("/deployments", '{"name": "d", "variants": [{"model": "mock:echo", "params": {"max_tokens": 1180591620717411303424}}]}',
     "body.variants[0].params.max_tokens is an integer past 64 bits"),
    ("/keys", '{"name": "k", "rpm_limit": 9223372036854775808}', "body.rpm_limit is an integer past 64 bits"),
    ("/deployments", '{"name": "d", "variants": [{"model": "mock:echo", "weight": NaN}]}', "is nan"),
    ("/runs", '{"kind": "training", "params": {"x": Infinity}}', "is inf"),
    ("/runs", "[" * 5000 + "]" * 5000, "nests lists and objects too deeply"),
])
def test_numbers_no_store_can_keep_are_400_naming_the_field(http: httpx.Client, path: str, raw: str,
                                                             needle: str) -> None:
    """An integer past 64 bits in free-form params broke the content hash (TypeError, 500)."""
    response = http.post(P + path, content=raw, headers={"content-type": "application/json"})
    assert needle in _assert_envelope(response)["message"]


def test_the_remote_client_sends_unstorable_text_and_raises_the_servers_error(server) -> None:  # type: ignore[no-untyped-def]
    """The SDK's JSON encoder failed on a lone surrogate with a UnicodeEncodeError traceback."""
    from genloop import Client
    from genloop.errors import InvalidInput

    with Client(server.url) as remote:
        with pytest.raises(InvalidInput, match=r"body\.template holds a lone surrogate"):
            remote.prompts.create("p", template="a \ud800 b")
        assert remote.prompts.create("p", template="ünïcödé ✓").template == "ünïcödé ✓"


def test_a_prompt_file_that_is_not_utf8_names_its_line(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from genloop import Client
    from genloop.errors import InvalidInput

    path = tmp_path / "p.yaml"
    path.write_bytes(b"template: |\r\n" + b"  padding line\r\n" * 2000 + b"  caf\xe9\r\n")  # past text mode's chunk
    with pytest.raises(InvalidInput, match=r"p\.yaml' line 2002: not valid UTF-8 text \(byte 0xe9\)"):
        Client(store=store).prompts.create_from_file("p", path)
