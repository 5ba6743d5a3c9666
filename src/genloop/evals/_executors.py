"""Where the engine's model calls run: local asyncio (default) or a Ray cluster, with the same results.

The engine (cache, cost meter, resume, writes) always runs in the calling process; an executor only performs
the model calls it is handed. :class:`LocalExecutor` calls the providers in this event loop (their adaptive
limiter and retries apply); :class:`RayExecutor` spreads them over async Ray actors, on a local Ray instance
or a cluster (``ray`` is an optional extra, imported only when asked for).
"""

from __future__ import annotations

import abc
import itertools
import json
from typing import Any

from genloop.errors import GenLoopError, InvalidInput, MissingDependency
from genloop.evals._calls import ModelTarget
from genloop.settings import Settings

__all__ = ["Executor", "LocalExecutor", "RayExecutor", "endpoint_identity", "get_executor"]


class Executor(abc.ABC):
    """Performs model calls: ``chat`` returns ``{"text", "input_tokens", "output_tokens", "latency_s", "cost"}``."""

    name: str = ""

    async def start(self) -> None:  # noqa: B027 - optional hook, most executors need nothing
        """Acquire resources (connections, workers) before the first call."""

    @abc.abstractmethod
    async def chat(self, target: ModelTarget, messages: list[dict[str, Any]], params: dict[str, Any],
                   extra: dict[str, Any]) -> dict[str, Any]:
        """One chat call on ``target``; raises :class:`~genloop.errors.ProviderError` when the upstream fails."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release what ``start`` acquired."""

    def endpoint(self, target: ModelTarget) -> dict[str, Any]:
        """Where a call on ``target`` goes, for the cache key (see :func:`endpoint_identity`)."""
        return endpoint_identity(target, getattr(self, "settings", None) or Settings())


#: Provider config that cannot change an answer (how long to wait, how many at once, the key itself).
_NOT_ANSWER = frozenset({"api_key", "timeout", "max_concurrency", "retry", "limiter", "prices", "transport"})


def endpoint_identity(target: ModelTarget, settings: Settings, overrides: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
    """What decides who answers a call on ``target``: the provider's kind (its class), the resolved base
    URL (from the target's config, else the settings / environment / the wire's default, as the provider
    itself resolves it), and the rest of its config (a named ``connection`` included), without a secret.

    A scripted provider object (``overrides``) is named by its class, its name and its base URL if it has one.
    """
    provider = (overrides or {}).get(target.provider)
    if provider is not None:
        kind = type(provider)
        return {"kind": f"{kind.__module__}.{kind.__qualname__}", "name": getattr(provider, "name", None),
                "base_url": getattr(provider, "base_url", None)}
    from genloop.providers._registry import _factories

    factory = _factories().get(target.provider)
    owner = getattr(factory, "__self__", factory)  # a classmethod factory (Provider.from_settings): its class
    kind = owner if isinstance(owner, type) else type(owner)
    config = {k: v for k, v in target.config.items() if k not in _NOT_ANSWER}
    base_url = config.pop("base_url", None)
    if base_url is None and hasattr(owner, "settings_prefix"):
        import os

        base_url = getattr(settings, f"{owner.settings_prefix}_base_url", None) or next(
            (os.environ[n] for n in getattr(owner, "base_url_env_vars", ()) if os.environ.get(n)), None
        ) or getattr(owner, "default_base_url", None)
    if isinstance(base_url, str):
        base_url = base_url.rstrip("/")
    return {"kind": f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', kind)}",
            "factory": getattr(factory, "__qualname__", None), "base_url": base_url, "config": config}


class _Providers:
    """Provider objects by (provider, config), built once and shared by every call."""

    def __init__(self, settings: Settings, concurrency: int, overrides: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.concurrency = concurrency
        self.overrides = dict(overrides or {})
        self._built: dict[str, Any] = {}

    def get(self, target: ModelTarget) -> Any:
        if target.provider in self.overrides:
            return self.overrides[target.provider]
        key = json.dumps([target.provider, target.config], sort_keys=True, default=str)
        provider = self._built.get(key)
        if provider is None:
            from genloop.providers import get_provider

            config = dict(target.config)
            if target.provider != "mock":
                config.setdefault("max_concurrency", self.concurrency)
            provider = self._built[key] = get_provider(target.provider, settings=self.settings, **config)
        return provider

    async def chat(self, target: ModelTarget, messages: list[dict[str, Any]], params: dict[str, Any],
                   extra: dict[str, Any]) -> dict[str, Any]:
        from genloop.providers import ChatRequest

        request = ChatRequest(model=target.model, messages=messages, extra=extra, **params)
        result = await self.get(target).chat(request)
        return {"text": result.text, "input_tokens": result.usage.input_tokens,
                "output_tokens": result.usage.output_tokens, "latency_s": result.latency_s, "cost": result.cost}

    async def aclose(self) -> None:
        for provider in self._built.values():
            await provider.aclose()
        self._built.clear()


class LocalExecutor(Executor):
    """Calls the providers in this process's event loop. ``providers`` maps a name to a ready Provider object
    (tests and embedders use it to supply a scripted provider)."""

    name = "local"

    def __init__(self, settings: Settings | None = None, *, concurrency: int = 16,
                 providers: dict[str, Any] | None = None) -> None:
        self._providers = _Providers(settings or Settings(), concurrency, providers)

    def endpoint(self, target: ModelTarget) -> dict[str, Any]:
        return endpoint_identity(target, self._providers.settings, self._providers.overrides)

    async def chat(self, target: ModelTarget, messages: list[dict[str, Any]], params: dict[str, Any],
                   extra: dict[str, Any]) -> dict[str, Any]:
        return await self._providers.chat(target, messages, params, extra)

    async def aclose(self) -> None:
        await self._providers.aclose()


class _CallWorker:
    """A Ray actor body: builds providers from the settings it is given and performs calls."""

    def __init__(self, settings: dict[str, Any], concurrency: int) -> None:
        self._providers = _Providers(Settings(**settings), concurrency)

    async def chat(self, target: dict[str, Any], messages: list[dict[str, Any]], params: dict[str, Any],
                   extra: dict[str, Any]) -> dict[str, Any]:
        return await self._providers.chat(ModelTarget(**target), messages, params, extra)


class RayExecutor(Executor):
    """Spreads calls over ``workers`` async Ray actors (on ``address``, or a local Ray started for the run)."""

    name = "ray"

    def __init__(self, settings: Settings | None = None, *, concurrency: int = 16, address: str | None = None,
                 workers: int = 2, num_cpus: int | None = None) -> None:
        self.settings = settings or Settings()
        self.concurrency = concurrency
        self.address = address
        self.workers = max(1, workers)
        self.num_cpus = num_cpus  # for a local Ray started here (None: all of them)
        self._actors: list[Any] = []
        self._cycle: Any = None
        self._started_ray = False

    async def start(self) -> None:
        try:
            import ray
        except ImportError:
            raise MissingDependency.for_extra("ray", "ray") from None
        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, include_dashboard=False,
                     log_to_driver=False, configure_logging=False,
                     num_cpus=self.num_cpus if self.address is None else None)
            self._started_ray = True
        per_worker = max(1, -(-self.concurrency // self.workers))
        actor_cls = ray.remote(num_cpus=0, max_concurrency=per_worker + 1)(_CallWorker)
        settings = self.settings.model_dump(mode="json", exclude_none=True)
        self._actors = [actor_cls.remote(settings, per_worker) for _ in range(self.workers)]
        self._cycle = itertools.cycle(self._actors)

    async def chat(self, target: ModelTarget, messages: list[dict[str, Any]], params: dict[str, Any],
                   extra: dict[str, Any]) -> dict[str, Any]:
        actor = next(self._cycle)
        try:
            return await actor.chat.remote(target.to_json(), messages, params, extra)  # type: ignore[no-any-return]
        except Exception as exc:
            cause = getattr(exc, "cause", None)  # a RayTaskError wraps what the worker raised
            if isinstance(cause, GenLoopError):
                raise cause from None
            raise

    async def aclose(self) -> None:
        import ray

        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._started_ray:
            ray.shutdown()


def get_executor(name: str, settings: Settings, *, concurrency: int, providers: dict[str, Any] | None = None,
                 **options: Any) -> Executor:
    """The executor called ``name`` (``local`` or ``ray``)."""
    if name == "local":
        return LocalExecutor(settings, concurrency=concurrency, providers=providers)
    if name == "ray":
        if providers:
            raise InvalidInput("provider objects cannot be shipped to Ray workers",
                               hint="register the provider through a plugin, or use the local executor")
        return RayExecutor(settings, concurrency=concurrency, **options)
    raise InvalidInput(f"unknown executor {name!r}", hint="use 'local' or 'ray'")
