"""Fixtures for the provider tests: no provider keys from the shell, an isolated plugin manager, a mock upstream."""

from __future__ import annotations

from collections.abc import Iterator

import pluggy
import pytest

from genloop import hookspecs, plugins
from genloop.providers import RetryPolicy
from genloop.providers.mock_upstream import MockUpstreamServer

_PROVIDER_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY",
                 "GOOGLE_API_KEY", "GEMINI_BASE_URL")


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's real provider keys."""
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Three attempts with millisecond backoff, so retry tests stay fast."""
    return RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01, deadline=10)


@pytest.fixture
def plugin_manager(monkeypatch: pytest.MonkeyPatch) -> pluggy.PluginManager:
    """A fresh plugin manager holding only the built-in providers plugin, so tests can add plugins freely."""
    from genloop.providers import _plugin

    pm = pluggy.PluginManager("genloop")
    pm.add_hookspecs(hookspecs)
    pm.register(_plugin, name="genloop.providers._plugin")
    monkeypatch.setattr(plugins, "_pm", pm)
    return pm


@pytest.fixture
def upstream() -> Iterator[MockUpstreamServer]:
    """A real mock OpenAI-compatible server on a free loopback port (reconfigure via ``upstream.app.config``)."""
    with MockUpstreamServer() as server:
        yield server
