"""Configuration changes reach every replica within a second, without a restart: two gateway processes on one
PostgreSQL store (as two replicas behind a load balancer), a label move, a deployment update and a key revocation."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import fresh_pg_database
from tests.gateway.conftest import gateway_process

from genloop.auth import KeyService
from genloop.deployments import DeploymentService
from genloop.prompts import PromptService
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.settings import Settings
from genloop.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    with fresh_pg_database(pg_template) as url:
        yield url


def _until(check: Callable[[], bool], limit: float = 1.0) -> float:
    """Seconds until ``check()`` holds (polled every 20 ms), or fail after ``limit``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit:
            raise AssertionError(f"not seen within {limit} s")
        time.sleep(0.02)
    return time.monotonic() - started


def test_changes_reach_both_replicas_within_a_second(pg_url: str, tmp_path: Path) -> None:
    with MockUpstreamServer() as upstream:  # echoes the last user message: the prompt version shows in the answer
        store = Store(Settings(home=tmp_path / "home", database_url=pg_url, actor="tester"))
        prompts = PromptService(store)
        prompts.create("greet", messages=[{"role": "user", "content": "version one: {{ name }}"}])
        prompts.create("greet", messages=[{"role": "user", "content": "version two: {{ name }}"}])
        prompts.label("greet@1", "production")
        deployments = DeploymentService(store)
        variant = {"prompt": "greet@production", "model": "openai:mock", "base_url": upstream.url + "/v1"}
        deployments.create("hello", variants=[variant])
        keys = KeyService(store)
        key = keys.create("team", scopes=["gateway"])
        env = {**os.environ, "GENLOOP_HOME": str(tmp_path / "home"), "GENLOOP_DATABASE_URL": pg_url,
               "GENLOOP_AUTH": "true", "GENLOOP_GATEWAY_REFRESH_INTERVAL": "0.25"}
        with gateway_process(env, tmp_path / "a.log") as a, gateway_process(env, tmp_path / "b.log") as b:

            def answer(url: str) -> Any:
                return httpx.post(url + "/v1/chat/completions", headers={"authorization": f"Bearer {key.key}"},
                                  json={"model": "hello", "messages": [],
                                        "genloop_variables": {"name": "Ada"}}, timeout=10)

            def text(url: str) -> str:
                response = answer(url)
                return str(response.json()["choices"][0]["message"]["content"]) if response.status_code == 200 else ""

            assert "version one: Ada" in text(a) and "version one: Ada" in text(b)

            prompts.label("greet@2", "production")  # a label move
            for url in (a, b):
                _until(lambda url=url: "version two: Ada" in text(url))

            deployments.update("hello", variants=[{**variant, "prompt": "greet@1"}])  # a new deployment version
            for url in (a, b):
                _until(lambda url=url: "version one: Ada" in text(url))

            keys.revoke(key.id)  # a revoked key stops working everywhere
            for url in (a, b):
                _until(lambda url=url: answer(url).status_code == 401)
        store.close()
