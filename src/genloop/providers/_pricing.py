"""Turn token usage into USD: a price table of USD per 1M input and output tokens per model.

Built-in defaults cover a few well-known models (list prices when written; check your contract). A YAML or
JSON file named by ``GENLOOP_PRICE_TABLE`` adds to or overrides them::

    openai:gpt-4o-mini: {input: 0.15, output: 0.60}
    my-local-model: {input: 0, output: 0}        # any provider

An unknown model costs ``None``, never 0: "we do not know" must not read as "free".
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from genloop.errors import InvalidInput

if TYPE_CHECKING:
    from genloop.providers._schemas import Usage
    from genloop.settings import Settings

__all__ = ["DEFAULT_PRICES", "Price", "PriceTable", "default_price_table"]


class Price(BaseModel):
    """USD per 1M tokens."""

    input: float = Field(ge=0)
    output: float = Field(default=0.0, ge=0)


DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "openai:gpt-4o": (2.50, 10.00),
    "openai:gpt-4o-mini": (0.15, 0.60),
    "openai:gpt-4.1": (2.00, 8.00),
    "openai:gpt-4.1-mini": (0.40, 1.60),
    "openai:gpt-4.1-nano": (0.10, 0.40),
    "openai:text-embedding-3-small": (0.02, 0.0),
    "openai:text-embedding-3-large": (0.13, 0.0),
    "anthropic:claude-3-5-haiku": (0.80, 4.00),
    "anthropic:claude-3-5-sonnet": (3.00, 15.00),
    "anthropic:claude-3-7-sonnet": (3.00, 15.00),
    "anthropic:claude-sonnet-4": (3.00, 15.00),
    "anthropic:claude-opus-4": (15.00, 75.00),
    "gemini:gemini-1.5-flash": (0.075, 0.30),
    "gemini:gemini-1.5-pro": (1.25, 5.00),
    "gemini:gemini-2.0-flash": (0.10, 0.40),
    "gemini:gemini-2.5-flash": (0.30, 2.50),
    "gemini:gemini-2.5-pro": (1.25, 10.00),
}

# Dated or versioned snapshots cost what their family costs: gpt-4o-mini-2024-07-18, claude-3-5-haiku-20241022,
# gemini-1.5-flash-002, claude-3-5-sonnet-latest.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|latest)$")


class PriceTable:
    """Prices keyed ``provider:model`` or bare ``model`` (any provider); looks up snapshots by family."""

    def __init__(self, prices: Mapping[str, Price | Mapping[str, float]] | None = None, *, defaults: bool = True):
        self._prices: dict[str, Price] = {}
        if defaults:
            self._prices.update({k: Price(input=i, output=o) for k, (i, o) in DEFAULT_PRICES.items()})
        for key, value in (prices or {}).items():
            try:
                self._prices[key] = value if isinstance(value, Price) else Price.model_validate(value)
            except ValidationError as exc:
                raise InvalidInput(
                    f"price for '{key}' is invalid: {exc.errors()[0]['msg']}",
                    hint="write {input: USD per 1M input tokens, output: USD per 1M output tokens}",
                ) from None

    @classmethod
    def from_file(cls, path: str | Path, *, defaults: bool = True) -> PriceTable:
        """Read a YAML (``.yaml``/``.yml``) or JSON price file; its entries override the defaults."""
        path = Path(path).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read price table {path}: {exc.strerror}", hint="check GENLOOP_PRICE_TABLE") from None
        try:
            if path.suffix in (".yaml", ".yml"):
                import yaml

                data: Any = yaml.safe_load(text)
            else:
                data = json.loads(text)
        except ValueError as exc:  # yaml.YAMLError and JSONDecodeError are both ValueErrors
            raise InvalidInput(f"price table {path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"price table {path} must map model names to prices", hint="see genloop.providers.PriceTable")
        return cls(data, defaults=defaults)

    @classmethod
    def from_settings(cls, settings: Settings) -> PriceTable:
        """The defaults plus ``settings.price_table`` when set."""
        path = getattr(settings, "price_table", None)
        return cls.from_file(path) if path else cls()

    def price(self, provider: str, model: str) -> Price | None:
        """The price of ``provider:model``; None when unknown."""
        family = _SNAPSHOT.sub("", model)
        for key in (f"{provider}:{model}", model, f"{provider}:{family}", family):
            found = self._prices.get(key)
            if found is not None:
                return found
        return None

    def cost(self, provider: str, model: str, usage: Usage) -> float | None:
        """USD for ``usage``; None when the model is not priced."""
        price = self.price(provider, model)
        if price is None:
            return None
        return (usage.input_tokens * price.input + usage.output_tokens * price.output) / 1_000_000

    def __contains__(self, key: str) -> bool:
        return key in self._prices


@functools.lru_cache(maxsize=1)
def default_price_table() -> PriceTable:
    """The built-in prices alone (shared; providers built from settings add the configured file)."""
    return PriceTable()
