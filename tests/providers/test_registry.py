"""``provider:model`` addressing, the plugin registry, and keys from settings or standard variables."""

from __future__ import annotations

from typing import Any

import pluggy
import pytest
from pydantic import SecretStr

from genloop.errors import InvalidInput, NotFound
from genloop.hookspecs import hookimpl
from genloop.plugins import DEFAULT_PLUGINS
from genloop.providers import (
    AnthropicProvider,
    ChatRequest,
    GeminiProvider,
    MockProvider,
    OpenAIProvider,
    get_provider,
    list_providers,
    parse_model_ref,
    resolve_model,
)
from genloop.settings import Settings


def test_builtins_register_through_the_hook(plugin_manager: pluggy.PluginManager) -> None:
    assert "genloop.providers._plugin" in DEFAULT_PLUGINS
    assert {"openai", "anthropic", "gemini", "mock"} <= set(list_providers())


def test_parse_model_ref() -> None:
    assert parse_model_ref("openai:gpt-4o-mini") == ("openai", "gpt-4o-mini")
    assert parse_model_ref("openai:llama3:8b") == ("openai", "llama3:8b")
    for bad in ("gpt-4o", ":x", "openai:"):
        with pytest.raises(InvalidInput, match="provider:model"):
            parse_model_ref(bad)


async def test_resolve_model(plugin_manager: pluggy.PluginManager) -> None:
    provider, model = resolve_model("mock:echo", reply="hi")
    assert isinstance(provider, MockProvider) and model == "echo"
    assert (await provider.chat(ChatRequest(model=model, messages=[{"role": "user", "content": "x"}]))).text == "hi"
    with pytest.raises(NotFound, match="no provider named 'nope'.*mock"):
        resolve_model("nope:model")


async def test_third_party_plugin_becomes_addressable(plugin_manager: pluggy.PluginManager) -> None:
    class ShoutingMock(MockProvider):
        pass

    class ThirdParty:
        @hookimpl
        def register_providers(self, register: Any) -> None:
            register("shout", lambda settings, **config: ShoutingMock(name="shout", reply="HELLO", **config))

    plugin_manager.register(ThirdParty(), name="acme-genloop")
    provider, model = resolve_model("shout:any-model", latency_ms=1)
    result = await provider.chat(ChatRequest(model=model, messages=[{"role": "user", "content": "x"}]))
    assert isinstance(provider, ShoutingMock) and (result.text, result.provider) == ("HELLO", "shout")


def test_bad_registrations_are_named(plugin_manager: pluggy.PluginManager) -> None:
    class Broken:
        @hookimpl
        def register_providers(self, register: Any) -> None:
            register("Bad Name", object)

    plugin_manager.register(Broken())
    with pytest.raises(InvalidInput, match="invalid provider 'Bad Name'"):
        list_providers()


async def test_keys_and_base_urls_from_settings_and_env(plugin_manager: pluggy.PluginManager,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-env")
    settings = Settings(anthropic_api_key=SecretStr("sk-ant-settings"), openai_base_url="http://vllm:8000/v1",
                        provider_max_attempts=2)
    openai_provider = get_provider("openai", settings=settings)
    anthropic_provider = get_provider("anthropic", settings=settings)
    gemini_provider = get_provider("gemini", settings=settings, base_url="http://proxy/v1beta")
    async with openai_provider, anthropic_provider, gemini_provider:
        assert isinstance(openai_provider, OpenAIProvider) and openai_provider.base_url == "http://vllm:8000/v1"
        assert openai_provider._headers()["authorization"] == "Bearer sk-env"
        assert openai_provider.retry.max_attempts == 2
        assert isinstance(anthropic_provider, AnthropicProvider)
        assert anthropic_provider._headers()["x-api-key"] == "sk-ant-settings"
        assert isinstance(gemini_provider, GeminiProvider) and gemini_provider.base_url == "http://proxy/v1beta"
        # a base URL chosen by the caller never receives the key from settings or the environment
        assert "x-goog-api-key" not in gemini_provider._headers()
    for name, header in (("openai", "authorization"), ("anthropic", "x-api-key"), ("gemini", "x-goog-api-key")):
        chosen = get_provider(name, settings=settings, base_url="http://attacker.example/v1")
        async with chosen:
            assert header not in chosen._headers(), name
        explicit = get_provider(name, settings=settings, base_url="http://proxy/v1", api_key="sk-given")
        async with explicit:
            assert "sk-given" in str(explicit._headers()), name


def test_missing_key_names_the_variables(plugin_manager: pluggy.PluginManager) -> None:
    with pytest.raises(InvalidInput, match="provider 'anthropic' has no API key") as info:
        get_provider("anthropic", settings=Settings())
    assert "ANTHROPIC_API_KEY" in str(info.value) and "GENLOOP_ANTHROPIC_API_KEY" in str(info.value)
    with pytest.raises(InvalidInput, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        get_provider("gemini", settings=Settings())
