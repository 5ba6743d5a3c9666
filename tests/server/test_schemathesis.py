"""A bounded schemathesis run over the committed OpenAPI (docs/openapi.json) against the real app.

Every operation gets a few generated requests, valid and malformed, through the ASGI app on a real
SQLite store, with auth off and with auth on (an admin key of the project the requests name). A 5xx fails, and so does a 4xx that is
not the JSON error envelope: a new server error from a malformed request fails CI here. The examples
are derandomized, so a failure reproduces; ``GENLOOP_FUZZ_EXAMPLES`` runs more of them locally.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from genloop.server import create_app
from genloop.settings import Settings
from genloop.store import Store

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
EXAMPLES = int(os.environ.get("GENLOOP_FUZZ_EXAMPLES", "6"))

schema = schemathesis.openapi.from_path(OPENAPI)
pytestmark = pytest.mark.slow  # about a minute on two cores


@pytest.fixture(scope="module", params=["auth-off", "auth-on"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The REST app on a fresh SQLite store; with auth on, wrapped like ``genloop server`` wraps it."""
    root = tmp_path_factory.mktemp("fuzz")
    auth = request.param == "auth-on"
    store = Store(Settings(home=root / "home", database_url=f"sqlite:///{root / 'db.sqlite'}",
                           artifacts_uri=str(root / "artifacts"), actor="fuzzer", auth=auth))
    app: Any = create_app(store)
    headers: dict[str, str] = {}
    if auth:
        from genloop.auth import AuthMiddleware, KeyService

        key = KeyService(store, "default").create("fuzzer", scopes=["admin"])
        headers["authorization"] = f"Bearer {key.key}"
        app = AuthMiddleware(app, store)
    yield app, headers
    store.close()


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_no_malformed_request_is_a_server_error(case: Any, app: tuple[Any, dict[str, str]]) -> None:
    asgi, headers = app
    if headers and case.path_parameters and "project" in case.path_parameters:
        case.path_parameters["project"] = "default"  # the key's project: the routes run, not only the 403
    response = case.call(app=asgi, headers=headers)
    assert response.status_code < 500, f"{response.status_code} {response.text[:500]}\n{case.as_curl_command()}"
    if response.status_code >= 400:
        error = response.json().get("error")
        assert isinstance(error, dict) and error.get("type") and error.get("message"), response.text[:500]
