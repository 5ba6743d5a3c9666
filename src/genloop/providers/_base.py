"""The one async interface every model API is spoken through.

``chat`` and ``chat_stream`` are required; ``complete`` and ``embed`` exist where the wire API has them and
otherwise raise :class:`~genloop.errors.InvalidInput` naming the provider (``supports()`` says in advance).
A provider owns a connection pool: close it (``await provider.aclose()`` or ``async with provider:``).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Literal

from genloop.errors import InvalidInput
from genloop.providers._pricing import PriceTable, default_price_table
from genloop.providers._schemas import (
    ChatChunk,
    ChatRequest,
    ChatResult,
    CompletionRequest,
    EmbeddingRequest,
    EmbeddingResult,
    Usage,
)

__all__ = ["Operation", "Provider"]

Operation = Literal["chat", "chat_stream", "complete", "embed"]


class Provider(abc.ABC):
    """A model API: chat (plain and streamed), and text completion and embeddings where the API has them."""

    #: The operations this wire format offers; the others raise InvalidInput.
    operations: ClassVar[frozenset[str]] = frozenset({"chat", "chat_stream"})

    def __init__(self, *, name: str, prices: PriceTable | None = None) -> None:
        self.name = name
        self.prices = prices if prices is not None else default_price_table()

    @abc.abstractmethod
    async def chat(self, request: ChatRequest) -> ChatResult:
        """Generate one assistant reply for ``request.messages``."""

    @abc.abstractmethod
    def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream the reply as text deltas; the last chunk carries usage, latency and cost.

        To stop early, iterate inside ``contextlib.aclosing(...)`` so the connection is released at once."""

    async def complete(self, request: CompletionRequest) -> ChatResult:
        """Continue a raw text prompt (no chat template)."""
        raise self.unsupported("complete")

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        """Embed each input text."""
        raise self.unsupported("embed")

    def supports(self, operation: Operation) -> bool:
        """Whether ``operation`` is available on this provider."""
        return operation in self.operations

    def unsupported(self, operation: str) -> InvalidInput:
        """The error for an operation this wire API lacks."""
        what = {"complete": "text completion", "embed": "embeddings"}.get(operation, operation)
        return InvalidInput(
            f"provider '{self.name}' ({type(self).__name__}) has no {what} API",
            hint="use chat() instead" if operation == "complete" else "use a provider that offers embeddings",
        )

    def cost(self, model: str, usage: Usage | None) -> float | None:
        """USD for ``usage`` on ``model`` from the price table; None when the model is not priced."""
        if usage is None:
            return None
        return self.prices.cost(self.name, model, usage)

    async def aclose(self) -> None:  # noqa: B027 - optional: only providers that hold connections override it
        """Release connections; the provider is unusable afterwards."""

    async def __aenter__(self) -> Provider:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
