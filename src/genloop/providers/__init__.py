"""Model APIs behind one async interface, addressed as ``provider:model``.

    provider, model = resolve_model("openai:gpt-4o-mini")
    async with provider:
        result = await provider.chat(ChatRequest(model=model, messages=[{"role": "user", "content": "hi"}]))

Wire formats: OpenAI (and every OpenAI-compatible server), Anthropic Messages, Gemini, and an in-process mock.
Retries, adaptive concurrency and pricing are shared; third-party providers plug in through the
``register_providers`` hook. ``genloop.providers.mock_upstream`` serves a mock OpenAI-compatible HTTP API.
"""

from __future__ import annotations

from genloop.providers._anthropic import AnthropicProvider
from genloop.providers._base import Operation, Provider
from genloop.providers._gemini import GeminiProvider
from genloop.providers._http import HTTPProvider
from genloop.providers._limiter import AdaptiveLimiter
from genloop.providers._mock import MockProvider
from genloop.providers._openai import OpenAIProvider
from genloop.providers._pricing import Price, PriceTable
from genloop.providers._registry import (
    ProviderFactory,
    get_provider,
    list_providers,
    parse_model_ref,
    resolve_model,
)
from genloop.providers._retry import RetryPolicy, parse_retry_after
from genloop.providers._schemas import (
    ChatChunk,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingRequest,
    EmbeddingResult,
    Usage,
)

__all__ = [
    "AdaptiveLimiter",
    "AnthropicProvider",
    "ChatChunk",
    "ChatRequest",
    "ChatResult",
    "CompletionRequest",
    "EmbeddingRequest",
    "EmbeddingResult",
    "GeminiProvider",
    "HTTPProvider",
    "MockProvider",
    "OpenAIProvider",
    "Operation",
    "Price",
    "PriceTable",
    "Provider",
    "ProviderFactory",
    "RetryPolicy",
    "Usage",
    "get_provider",
    "list_providers",
    "parse_model_ref",
    "parse_retry_after",
    "resolve_model",
]
