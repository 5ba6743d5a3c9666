"""Address models as ``provider:model`` and build providers by name from the plugin registry.

Providers come from the ``register_providers(register)`` hook: built-ins (``_plugin.py``) and third-party
packages (entry-point group ``genloop``) alike. ``register(name, factory)``; ``factory(settings, **config)``
returns a :class:`Provider`. When two plugins register one name, the one registered last wins (pluggy calls
later plugins first), so a plugin can replace a built-in on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from genloop.errors import InvalidInput, NotFound
from genloop.plugins import collect
from genloop.providers._base import Provider
from genloop.settings import Settings, get_settings

__all__ = ["ProviderFactory", "get_provider", "list_providers", "parse_model_ref", "resolve_model"]

ProviderFactory = Callable[..., Provider]
_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")


def _factories() -> dict[str, ProviderFactory]:
    factories: dict[str, ProviderFactory] = {}
    for args, kwargs in collect("providers"):
        values = {**dict(zip(("name", "factory"), args, strict=False)), **kwargs}
        name, factory = values.get("name"), values.get("factory")
        if not isinstance(name, str) or not _NAME.fullmatch(name) or not callable(factory):
            raise InvalidInput(f"a plugin registered an invalid provider {name!r}",
                               hint="names are lowercase words such as 'openai'; the factory must be callable")
        factories.setdefault(name, factory)
    return factories


def list_providers() -> list[str]:
    """Names of every registered provider, sorted."""
    return sorted(_factories())


def get_provider(name: str, *, settings: Settings | None = None, **config: Any) -> Provider:
    """Build the provider registered as ``name``; ``config`` (base_url, api_key, timeout, ...) overrides settings.

    Each call builds a new Provider with its own connection pool: build once, reuse, and close it.
    """
    factories = _factories()
    factory = factories.get(name)
    if factory is None:
        raise NotFound(
            f"no provider named '{name}' (known: {', '.join(sorted(factories))})",
            hint="check the spelling, or install the plugin package that provides it",
        )
    return factory(settings if settings is not None else get_settings(), **config)


def parse_model_ref(ref: str) -> tuple[str, str]:
    """Split ``provider:model`` at the first colon (model names may hold colons, as Ollama's ``llama3:8b``)."""
    provider, sep, model = ref.partition(":")
    if not sep or not provider or not model:
        raise InvalidInput(f"model reference '{ref}' is not of the form provider:model",
                           hint="write e.g. openai:gpt-4o-mini, anthropic:claude-3-5-haiku-latest or mock:echo")
    return provider, model


def resolve_model(ref: str, *, settings: Settings | None = None, **config: Any) -> tuple[Provider, str]:
    """``"openai:gpt-4o-mini"`` -> (an OpenAI provider, ``"gpt-4o-mini"``)."""
    provider, model = parse_model_ref(ref)
    return get_provider(provider, settings=settings, **config), model
