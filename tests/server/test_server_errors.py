"""Every REST error is a JSON envelope with a type, a message and (often) a hint; never a traceback."""

import httpx


def test_unknown_route_is_an_enveloped_404(server) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{server.url}/api/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


def test_bad_query_parameter_is_a_400_naming_the_field(server) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{server.url}/api/v1/projects/default/audit", params={"limit": 0})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["type"] == "invalid_input" and "limit" in body["message"]


def test_health(server) -> None:  # type: ignore[no-untyped-def]
    body = httpx.get(f"{server.url}/api/v1/health").json()
    assert body["status"] == "ok" and body["revision"]
