"""A deterministic in-process provider for tests and demos, and the reply logic the mock upstream shares.

Replies: echo the last user message (the default), a fixed text, a list cycled call by call, or a function of
the request. Failures: given call numbers fail with given statuses, or a seeded failure rate; the model name
``fail-<status>`` (``mock:fail-503``) always fails. Usage counts whitespace-separated tokens, so it is
deterministic. Failures are raised at once, never retried here: retries belong to the layer under test.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from genloop.errors import ProviderError
from genloop.providers._base import Provider
from genloop.providers._pricing import PriceTable
from genloop.providers._retry import is_retryable_status
from genloop.providers._schemas import (
    ChatChunk,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingRequest,
    EmbeddingResult,
    Usage,
)

__all__ = ["MockProvider", "content_text", "count_tokens", "hash_embedding", "last_user_text", "shape_reply", "split_pieces"]

Reply = str | Sequence[str] | Callable[[Any], str]
_PIECE = re.compile(r"\s*\S+\s*")
_FAIL_MODEL = re.compile(r"^fail-(\d{3})$")


def split_pieces(text: str) -> list[str]:
    """Whitespace tokens with their trailing space: the mock's tokens and stream deltas (they join back to text)."""
    return _PIECE.findall(text)


def count_tokens(text: str) -> int:
    """Deterministic token count: whitespace-separated words."""
    return len(text.split())


def content_text(content: Any) -> str:
    """The text of an OpenAI-shaped message content (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """What echo mode answers: the last user message's text."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def shape_reply(text: str, *, max_tokens: int | None, stop: str | list[str] | None) -> tuple[str, str]:
    """Apply ``stop`` and ``max_tokens`` as a model would; returns (text, finish_reason)."""
    for sequence in [stop] if isinstance(stop, str) else stop or []:
        if sequence and sequence in text:
            text = text[: text.index(sequence)]
    pieces = split_pieces(text)
    if max_tokens is not None and len(pieces) > max_tokens:
        return "".join(pieces[:max_tokens]).rstrip(), "length"
    return text, "stop"


def hash_embedding(text: str, dims: int = 32) -> list[float]:
    """A unit vector derived from SHA-256 of ``text``: the same text always gets the same vector."""
    values: list[float] = []
    block = 0
    while len(values) < dims:
        values.extend(b / 127.5 - 1.0 for b in hashlib.sha256(f"{block}:{text}".encode()).digest())
        block += 1
    del values[dims:]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


class MockProvider(Provider):
    """Answers without a network: echo, scripted replies, scripted failures and optional latency."""

    operations = frozenset({"chat", "chat_stream", "complete", "embed"})

    def __init__(
        self,
        *,
        name: str = "mock",
        reply: Reply | None = None,
        failures: Mapping[int, int] | None = None,
        fail_rate: float = 0.0,
        fail_status: int = 500,
        seed: int = 0,
        latency_ms: float = 0.0,
        embedding_dims: int = 32,
        prices: PriceTable | None = None,
    ) -> None:
        super().__init__(name=name, prices=prices)
        self.reply = reply
        self.failures = dict(failures or {})
        self.fail_rate = fail_rate
        self.fail_status = fail_status
        self.latency_ms = latency_ms
        self.embedding_dims = embedding_dims
        self.calls = 0
        self.last_request: Any = None
        self._rng = random.Random(seed)

    @classmethod
    def from_settings(cls, settings: Any, **config: Any) -> MockProvider:
        """Build from Settings (only the price table is read); ``config`` goes to the constructor."""
        config.setdefault("prices", PriceTable.from_settings(settings))
        return cls(**config)

    async def chat(self, request: ChatRequest) -> ChatResult:
        started = time.perf_counter()
        text, finish, usage = await self._answer(request, last_user_text(request.messages), request.messages)
        return ChatResult(text=text, finish_reason=finish, usage=usage, latency_s=time.perf_counter() - started,
                          model=request.model, provider=self.name, cost=self.cost(request.model, usage))

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        started = time.perf_counter()
        text, finish, usage = await self._answer(request, last_user_text(request.messages), request.messages)
        for piece in split_pieces(text):
            yield ChatChunk(delta=piece, model=request.model, provider=self.name)
        yield ChatChunk(finish_reason=finish, usage=usage, latency_s=time.perf_counter() - started,
                        cost=self.cost(request.model, usage), model=request.model, provider=self.name)

    async def complete(self, request: CompletionRequest) -> ChatResult:
        started = time.perf_counter()
        text, finish, usage = await self._answer(request, request.prompt, [{"content": request.prompt}])
        return ChatResult(text=text, finish_reason=finish, usage=usage, latency_s=time.perf_counter() - started,
                          model=request.model, provider=self.name, cost=self.cost(request.model, usage))

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        started = time.perf_counter()
        await self._before_call(request)
        texts = request.texts()
        dims = request.dimensions or self.embedding_dims
        usage = Usage(input_tokens=sum(count_tokens(t) for t in texts))
        return EmbeddingResult(vectors=[hash_embedding(t, dims) for t in texts], usage=usage,
                               latency_s=time.perf_counter() - started, model=request.model, provider=self.name,
                               cost=self.cost(request.model, usage))

    async def _answer(self, request: Any, echo: str, messages: Sequence[Mapping[str, Any]]) -> tuple[str, str, Usage]:
        number = await self._before_call(request)
        if self.reply is None:
            text = echo
        elif isinstance(self.reply, str):
            text = self.reply
        elif callable(self.reply):
            text = self.reply(request)
        else:
            text = self.reply[(number - 1) % len(self.reply)]
        text, finish = shape_reply(text, max_tokens=request.max_tokens, stop=request.stop)
        prompt_tokens = sum(count_tokens(content_text(m.get("content"))) for m in messages)
        return text, finish, Usage(input_tokens=prompt_tokens, output_tokens=count_tokens(text))

    async def _before_call(self, request: Any) -> int:
        """Count the call, wait the latency, and raise the scripted failure if this call has one."""
        self.calls += 1
        number = self.calls
        self.last_request = request
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        status = self.failures.get(number)
        forced = _FAIL_MODEL.fullmatch(request.model)
        if forced:
            status = int(forced.group(1))
        elif status is None and self.fail_rate and self._rng.random() < self.fail_rate:
            status = self.fail_status
        if status is not None:
            raise ProviderError(f"{self.name} answered HTTP {status}: injected failure on call {number}",
                                upstream_status=status, retryable=is_retryable_status(status), provider=self.name)
        return number

    def __repr__(self) -> str:
        return f"MockProvider(name={self.name!r}, calls={self.calls})"
