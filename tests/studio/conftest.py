"""Studio fixtures: the whole server app (Studio, REST, gateway) on the test store, driven by TestClient.

TestClient talks to ``http://127.0.0.1`` so the session cookie is not Secure (loopback over plain HTTP), as
for a person opening ``genloop server`` locally.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from genloop.settings import Settings
from genloop.store import Store

BASE = "http://127.0.0.1"


def server_app(store: Store):  # type: ignore[no-untyped-def]
    """What ``genloop server`` serves, on ``store``."""
    from genloop.gateway import with_gateway
    from genloop.server import create_app
    from genloop.studio import with_studio

    return with_studio(with_gateway(create_app(store), store), store)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def login(web: TestClient, key: str) -> None:
    """Log in through the form, as a person does."""
    token = csrf_of(web.get("/login").text)
    answer = web.post("/login", data={"key": key, "csrf_token": token, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


@pytest.fixture
def web(store: Store) -> Iterator[TestClient]:
    """Studio with auth off: the local user is an admin."""
    with TestClient(server_app(store), base_url=BASE) as client:
        yield client


@pytest.fixture
def auth_store(settings: Settings) -> Iterator[Store]:
    """The test store with GENLOOP_AUTH on."""
    s = Store(settings.model_copy(update={"auth": True}))
    yield s
    s.close()


@pytest.fixture
def auth_web(auth_store: Store) -> Iterator[TestClient]:
    """Studio with auth on, not logged in yet."""
    with TestClient(server_app(auth_store), base_url=BASE) as client:
        yield client


def token(web: TestClient, path: str = "/") -> str:
    """A CSRF token for POSTs: the one in the session of ``web`` (from a page carrying the header)."""
    html = web.get(path).text
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', html)
    assert found, "the page has no CSRF header"
    return found.group(1)
