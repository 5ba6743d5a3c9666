"""The built-in providers, registered through the same hook third-party plugins use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genloop.hookspecs import hookimpl


@hookimpl
def register_providers(register: Callable[..., Any]) -> None:
    """openai (and any OpenAI-compatible endpoint), anthropic, gemini, the in-process mock, local HF models."""
    from genloop.providers._anthropic import AnthropicProvider
    from genloop.providers._gemini import GeminiProvider
    from genloop.providers._local import LocalProvider
    from genloop.providers._mock import MockProvider
    from genloop.providers._openai import OpenAIProvider

    register("openai", OpenAIProvider.from_settings)
    register("anthropic", AnthropicProvider.from_settings)
    register("gemini", GeminiProvider.from_settings)
    register("mock", MockProvider.from_settings)
    register("local", LocalProvider.from_settings)
