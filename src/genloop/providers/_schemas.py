"""Requests and results every provider speaks, whatever its wire format.

Messages are OpenAI-shaped (``{"role", "content", ...}``) because that is the shape the gateway serves and
most datasets already hold; each wire module translates them. Finish reasons are normalised to OpenAI's
vocabulary (``stop``, ``length``, ``tool_calls``, ``content_filter``); the upstream's own answer stays in ``raw``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChatChunk",
    "ChatRequest",
    "ChatResult",
    "CompletionRequest",
    "EmbeddingRequest",
    "EmbeddingResult",
    "Usage",
]


class Usage(BaseModel):
    """Tokens one call consumed, as the upstream counted them (0 when it did not say)."""

    input_tokens: int = Field(default=0, ge=0, le=2**31 - 1)
    output_tokens: int = Field(default=0, ge=0, le=2**31 - 1)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class _Sampling(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="Model name as the provider knows it (no 'provider:' prefix).")
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="Wire-specific fields merged into the request body as-is (e.g. {'max_completion_tokens': 50}).",
    )

    def stop_list(self) -> list[str] | None:
        """``stop`` as a list (Anthropic and Gemini only take lists)."""
        if self.stop is None:
            return None
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)


class ChatRequest(_Sampling):
    """One chat call: OpenAI-shaped messages plus the usual sampling parameters."""

    messages: list[dict[str, Any]] = Field(min_length=1)
    response_format: dict[str, Any] | None = Field(
        default=None, description="OpenAI-shaped: {'type': 'json_object'} or {'type': 'json_schema', ...}."
    )
    tools: list[dict[str, Any]] | None = Field(default=None, description="OpenAI-shaped function tools.")
    tool_choice: str | dict[str, Any] | None = None


class CompletionRequest(_Sampling):
    """One text-completion call: a raw prompt, no chat template."""

    prompt: str


class EmbeddingRequest(BaseModel):
    """Embed one or more texts."""

    model_config = ConfigDict(extra="forbid")

    model: str
    input: str | list[str]
    dimensions: int | None = Field(default=None, ge=1)
    extra: dict[str, Any] = Field(default_factory=dict)

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


class ChatResult(BaseModel):
    """What a chat or completion call produced, with its usage, latency and (when priced) cost in USD."""

    text: str
    finish_reason: str | None = None
    usage: Usage
    latency_s: float
    model: str
    provider: str
    tool_calls: list[dict[str, Any]] = Field(default_factory=list, description="OpenAI-shaped tool calls.")
    raw: dict[str, Any] | None = None
    cost: float | None = Field(default=None, description="USD; None when the model is not in the price table.")


class ChatChunk(BaseModel):
    """One streamed piece. Text arrives in ``delta``; the final chunk has ``usage``, ``latency_s`` and ``cost``."""

    delta: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    latency_s: float | None = None
    cost: float | None = None
    model: str
    provider: str
    tool_calls: list[dict[str, Any]] = Field(default_factory=list, description="Complete calls, on the final chunk.")
    raw: dict[str, Any] | None = Field(default=None, description="The upstream event, where the wire is OpenAI's.")

    @property
    def is_final(self) -> bool:
        return self.usage is not None


class EmbeddingResult(BaseModel):
    """One vector per input text, in input order."""

    vectors: list[list[float]]
    usage: Usage
    latency_s: float
    model: str
    provider: str
    cost: float | None = None
