"""Two gateway processes, one real Redis server: limits, the cache and breakers hold across replicas.

Debian's ``redis-server`` is started by the test on a free loopback port (``.ci/run`` installs it); the gateways
are real ``serve_gateway`` processes on one SQLite store, as two replicas behind a load balancer would be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import free_port
from tests.gateway.conftest import gateway_process

from genloop.auth import KeyService
from genloop.deployments import DeploymentService
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.settings import Settings
from genloop.store import Store

pytestmark = pytest.mark.slow
redis = pytest.importorskip("redis", reason="shared gateway state needs the redis extra: pip install 'genloop[redis]'")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test shared state: install redis-server (.ci/run does)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def replicas(tmp_path: Path, redis_url: str) -> Iterator[dict[str, Any]]:
    """Two gateway processes sharing a store and a Redis; deployments, keys and the upstream they call."""
    redis.Redis.from_url(redis_url).flushdb()
    home = tmp_path / "home"
    db = f"sqlite:///{tmp_path / 'genloop.db'}"
    with MockUpstreamServer(reply="shared answer") as upstream:
        store = Store(Settings(home=home, database_url=db, actor="tester"))
        deployments = DeploymentService(store)
        deployments.create("cached", variants=[{"model": "openai:mock", "base_url": upstream.url + "/v1"}],
                           cache={"enabled": True, "ttl_s": 60})
        deployments.create("plain", variants=[{"model": "openai:mock", "base_url": upstream.url + "/v1"}])
        closed = free_port()  # nothing listens here: every call fails to connect
        deployments.create("broken", variants=[{"model": "openai:mock", "base_url": f"http://127.0.0.1:{closed}/v1"}],
                           retries={"attempts": 1}, circuit_breaker={"failures": 2, "cooldown_s": 60})
        keys = KeyService(store)
        limited = keys.create("limited", scopes=["gateway"], rpm_limit=5).key
        free = keys.create("free", scopes=["gateway"]).key
        store.close()
        env = {**os.environ, "GENLOOP_HOME": str(home), "GENLOOP_DATABASE_URL": db, "GENLOOP_REDIS_URL": redis_url,
               "GENLOOP_AUTH": "true", "GENLOOP_TRACE_FLUSH_INTERVAL": "0.05"}
        with gateway_process(env, tmp_path / "a.log") as a, gateway_process(env, tmp_path / "b.log") as b:
            yield {"a": a, "b": b, "limited": limited, "free": free, "upstream": upstream}


def _chat(url: str, key: str, model: str, text: str = "hello") -> httpx.Response:
    return httpx.post(url + "/v1/chat/completions", headers={"authorization": f"Bearer {key}"}, timeout=10,
                      json={"model": model, "messages": [{"role": "user", "content": text}]})


def test_a_rate_limit_holds_across_replicas(replicas: dict[str, Any]) -> None:
    statuses = [_chat(replicas["a" if i % 2 == 0 else "b"], replicas["limited"], "plain").status_code
                for i in range(9)]
    assert statuses.count(200) == 5, statuses  # 5 per minute for the key, whichever replica answers
    assert statuses.count(429) == 4, statuses
    refused = _chat(replicas["b"], replicas["limited"], "plain")
    assert refused.status_code == 429 and "5 requests per minute" in refused.json()["error"]["message"]
    assert float(refused.headers["retry-after"]) > 0


def test_the_cache_hits_across_replicas(replicas: dict[str, Any]) -> None:
    first = _chat(replicas["a"], replicas["free"], "cached", "what is shared?")
    calls = replicas["upstream"].stats["chat.completions"]
    second = _chat(replicas["b"], replicas["free"], "cached", "what is shared?")
    assert first.status_code == second.status_code == 200
    assert (first.headers["x-genloop-cache"], second.headers["x-genloop-cache"]) == ("miss", "hit")
    assert second.json()["choices"] == first.json()["choices"]
    assert replicas["upstream"].stats["chat.completions"] == calls  # the second replica did not call upstream
    other = _chat(replicas["b"], replicas["free"], "cached", "something else")
    assert other.headers["x-genloop-cache"] == "miss"


def test_a_breaker_opened_by_one_replica_is_open_for_the_other(replicas: dict[str, Any]) -> None:
    for _ in range(2):  # two connection failures through replica A open the breaker (failures: 2)
        failed = _chat(replicas["a"], replicas["free"], "broken")
        assert failed.status_code in (502, 503, 504), failed.text
        assert "circuit" not in failed.json()["error"]["message"]
    started = time.perf_counter()
    refused = _chat(replicas["b"], replicas["free"], "broken")
    assert refused.status_code == 503, refused.text
    assert "circuit open" in refused.json()["error"]["message"]
    assert time.perf_counter() - started < 2


def test_without_redis_each_replica_keeps_serving_with_its_own_limits() -> None:
    """Redis down: the limiter falls back to this process's buckets instead of refusing everything."""
    import datetime as dt

    from genloop.auth import KeyInfo
    from genloop.gateway._shared import SharedRateLimiter, connect_redis

    limiter = SharedRateLimiter(connect_redis(f"redis://127.0.0.1:{free_port()}/0"))
    key = KeyInfo(id="gk-x", project="default", name="x", scopes=["gateway"], rpm_limit=2,
                  created_at=dt.datetime.now(dt.UTC))
    assert [limiter.check(key) is None for _ in range(3)] == [True, True, False]
