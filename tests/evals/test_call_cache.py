"""The model-call cache key holds everything that can change an answer, the resolved endpoint above all."""

from __future__ import annotations

import pytest

from genloop.evals._calls import ModelTarget
from genloop.evals._executors import LocalExecutor, RayExecutor, endpoint_identity
from genloop.providers.mock_upstream import run_mock_upstream
from genloop.settings import Settings
from genloop.store import Store

ROWS = [{"id": f"q{i}", "question": f"question {i}"} for i in range(3)]


def _run(settings: Settings, create: bool = False) -> list[str | None]:
    """One eval run through a store whose settings point the openai provider at one server."""
    from genloop.client import Client

    store = Store(settings)
    try:
        with Client(store=store) as client:
            if create:
                client.datasets.create("golden", ROWS, kind="generic")
            spec = {"name": "qa", "dataset": "golden@1", "id_column": "id", "input_column": "question",
                    "candidates": [{"name": "m", "model": "openai:same-model"}], "metrics": ["length"]}
            result = client.evals.run(spec)
            assert result.status == "succeeded", result.error
            return [i.output for i in client.evals.items(result.run_id, 0, 10).items]
    finally:
        store.close()


def test_two_servers_behind_one_model_name_do_not_share_cached_answers(settings: Settings) -> None:
    """The base URL comes from settings (GENLOOP_OPENAI_BASE_URL), not the model: server Y's run must
    report Y's answers, not those cached from server X."""
    with run_mock_upstream(reply="from X") as x, run_mock_upstream(reply="from Y") as y:
        first = _run(settings.model_copy(update={"openai_base_url": x + "/v1", "openai_api_key": None}), True)
        second = _run(settings.model_copy(update={"openai_base_url": y + "/v1", "openai_api_key": None}))
        again = _run(settings.model_copy(update={"openai_base_url": y + "/v1", "openai_api_key": None}))
    assert first == ["from X"] * 3
    assert second == ["from Y"] * 3 == again


def test_endpoint_identity_resolves_the_base_url_like_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    target = ModelTarget(provider="openai", model="m")
    from_settings = endpoint_identity(target, Settings(openai_base_url="http://x.test/v1/"))
    assert from_settings["base_url"] == "http://x.test/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env.test/v1")
    assert endpoint_identity(target, Settings())["base_url"] == "http://env.test/v1"
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert endpoint_identity(target, Settings())["base_url"] == "https://api.openai.com/v1"
    chosen = ModelTarget(provider="openai", model="m", config={"base_url": "http://z.test/v1", "api_key": "sk-secret"})
    identity = endpoint_identity(chosen, Settings(openai_base_url="http://x.test/v1"))
    assert identity["base_url"] == "http://z.test/v1" and "sk-secret" not in str(identity)  # no secret in the key
    other_kind = endpoint_identity(ModelTarget(provider="anthropic", model="m"), Settings())
    assert other_kind["kind"] != from_settings["kind"]
    named = ModelTarget(provider="openai", model="m", config={"connection": "prod"})
    assert endpoint_identity(named, Settings())["config"] == {"connection": "prod"}
    # both executors describe an endpoint the same way (Ray's workers build providers from the same settings)
    local = LocalExecutor(Settings(openai_base_url="http://x.test/v1"))
    assert local.endpoint(target) == RayExecutor(Settings(openai_base_url="http://x.test/v1")).endpoint(target)
