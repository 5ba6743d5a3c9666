"""The gateway's in-memory view of the store: deployments resolved to prompts and upstream targets, and keys.

A :class:`Snapshot` is immutable once built. The refresher rebuilds it in a worker thread whenever the
audit log moves (every deployment version, prompt label move, model alias move and key change is
audited) and swaps it in with one assignment, so requests never touch the database and never see a
half-built view. A deployment that fails to resolve keeps serving its previous resolution.
"""

from __future__ import annotations

import bisect
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from genloop.auth import KeyInfo, KeyService
from genloop.deployments import DeploymentInfo, DeploymentService, VariantSpec, parse_model_target
from genloop.gateway._upstream import Target
from genloop.settings import Settings
from genloop.store import Store
from genloop.store._registry import AuditEvent

__all__ = ["Deployment", "Snapshot", "Variant", "build_snapshot", "change_marker"]

log = logging.getLogger("genloop.gateway")


@dataclass(slots=True)
class Variant:
    """One variant ready to serve: its prompt version (if any), upstream target, merged params and price."""

    name: str
    target: Target
    prompt: Any = None  # genloop.prompts.PromptVersion
    prompt_ref: str | None = None
    static_messages: list[dict[str, Any]] | None = None  # the rendered prompt, when it has no variables
    params: dict[str, Any] = field(default_factory=dict)
    price: tuple[float, float] | None = None  # USD per 1M input, output tokens
    light: bool = True  # rendering only substitutes values: fine on the event loop

    def cost(self, input_tokens: int, output_tokens: int) -> float | None:
        if self.price is None:
            return None
        return (input_tokens * self.price[0] + output_tokens * self.price[1]) / 1_000_000


@dataclass(slots=True)
class Deployment:
    """One deployment version ready to serve."""

    project: str
    name: str
    version: int
    info: DeploymentInfo
    variants: list[Variant]
    shadows: list[Variant]
    fallbacks: list[Variant]
    guard: Any = None  # genloop.guardrails.Guard
    cumulative: list[float] = field(default_factory=list)
    guard_output: bool = False  # the guard has output rules

    def __post_init__(self) -> None:
        self.guard_output = bool(self.guard is not None and self.guard.checks("output"))
        total = 0.0
        self.cumulative = []
        for spec in self.info.variants:
            total += spec.weight
            self.cumulative.append(total)

    def pick(self, fraction: float) -> Variant:
        """The variant at ``fraction`` (in [0, 1)) of the weighted range."""
        if len(self.variants) == 1:
            return self.variants[0]
        index = bisect.bisect_right(self.cumulative, fraction * self.cumulative[-1])
        return self.variants[min(index, len(self.variants) - 1)]


@dataclass(slots=True)
class Snapshot:
    """Everything the hot path reads: deployments by (project, name), keys by sha256, and why some failed."""

    marker: Any = None
    deployments: dict[tuple[str, str], Deployment] = field(default_factory=dict)
    keys: dict[str, KeyInfo] = field(default_factory=dict)
    errors: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Deployments still naming a retired prompt or model version (served, but flagged on /healthz).
    retired: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def change_marker(store: Store) -> Any:
    """A value that changes whenever anything the gateway serves may have changed (one indexed query)."""
    with store.db.read() as session:
        return session.scalar(select(func.max(AuditEvent.id)))


def build_snapshot(store: Store, settings: Settings, previous: Snapshot | None, marker: Any) -> Snapshot:
    """Resolve every deployment's latest version (prompts, models, guard) and load the keys."""
    from genloop.connections import ConnectionService
    from genloop.models import ModelService
    from genloop.prompts import PromptService

    store.cache.invalidate()  # read labels and aliases as they are now, not as cached
    snapshot = Snapshot(marker=marker, keys=KeyService.active_keys(store))
    prices = _price_table(settings)
    connections = ConnectionService.resolve_all(store)
    for info in DeploymentService.latest_everywhere(store):
        key = (info.project, info.name)
        old = previous.deployments.get(key) if previous is not None else None
        try:
            prompts, models = PromptService(store, info.project), ModelService(store, info.project)
            variants, shadows, fallbacks = (
                [_variant(spec, prompts, models, settings, prices, connections) for spec in specs]
                for specs in (info.variants, info.shadows, info.fallbacks)
            )
            guard = old.guard if old is not None and old.info.guardrails == info.guardrails else _guard(info)
            snapshot.deployments[key] = Deployment(
                project=info.project, name=info.name, version=info.version, info=info,
                variants=variants, shadows=shadows, fallbacks=fallbacks, guard=guard,
            )
        except Exception as exc:  # noqa: BLE001 - one broken deployment must not stop the others
            snapshot.errors[key] = str(exc)
            if old is not None:
                snapshot.deployments[key] = old
            log.warning("deployment %s/%s@%s cannot be served: %s", info.project, info.name, info.version, exc)
    from genloop.deployments._retired import retired_in_use

    snapshot.retired = retired_in_use(store, (d.info for d in snapshot.deployments.values()))
    return snapshot


def _variant(spec: VariantSpec, prompts: Any, models: Any, settings: Settings, prices: Any,
             connections: dict[str, Any]) -> Variant:
    from genloop.prompts import render_version
    from genloop.prompts._template import is_light_version

    prompt = prompts.get(spec.prompt) if spec.prompt else None
    model_ref = spec.model or (prompt.model if prompt is not None else None)
    if not model_ref:
        raise ValueError(f"variant {spec.name!r} has no model: give it a model, or give its prompt one")
    target = _target(model_ref, spec, models, settings, connections)
    params = dict(prompt.params) if prompt is not None else {}
    params.update(spec.params)
    static = None
    if prompt is not None and not prompt.variables:
        static = _prompt_messages(render_version(prompt, {}))
    price = None
    if prices is not None:
        found = prices.price(target.provider, target.model)
        price = (found.input, found.output) if found is not None else None
    light = prompt is None or static is not None or is_light_version(prompt)
    return Variant(name=spec.name, target=target, prompt=prompt, prompt_ref=prompt.ref if prompt else None,
                   static_messages=static, params=params, price=price, light=light)


def _target(model_ref: str, spec: VariantSpec, models: Any, settings: Settings, connections: dict[str, Any]) -> Target:
    """Where a variant's calls go, and with which key.

    Server-held keys go only where the operator sent them: a named connection (its endpoint and secret),
    or a built-in provider's endpoint from settings (``openai:``, ``anthropic:``, ``gemini:``, with their
    ``GENLOOP_*`` / provider settings). A ``base_url`` chosen by a deployment or a model version gets no key;
    ``api_key_env`` is never read.
    """
    from genloop.providers._local_load import LOCAL_KINDS, local_model_name

    provider, model = parse_model_target(model_ref)
    label = model_ref
    base_url = spec.base_url
    connection = spec.connection
    if provider is None:  # a registry ref: the version's uri says provider:model, its config the endpoint
        version = models.get(model_ref)
        label = version.ref
        connection = connection or version.config.get("connection")
        base_url = base_url or (None if connection else version.config.get("base_url"))
        if ":" in version.uri and not version.uri.startswith(("file:", "s3:", "gs:", "/")):
            provider, model = version.uri.split(":", 1)
        elif version.kind in LOCAL_KINDS and not base_url and not connection:  # weights: run in-process
            provider, model = "local", local_model_name(version, models.get)
        elif base_url or connection:
            provider, model = "openai", str(version.config.get("served_model") or version.name)
        else:
            raise ValueError(f"model {version.ref} ({version.kind}, {version.uri}) is not served by any endpoint; "
                             "serve it with an OpenAI-compatible server and register it with a connection or base_url")
    if connection:
        found = connections.get(str(connection))
        if found is None:
            raise ValueError(f"connection {connection!r} does not exist; an operator creates it with "
                             "genloop connections create")
        if provider != found.provider:
            raise ValueError(f"connection {found.name!r} speaks {found.provider}, not {provider} (model {model_ref})")
        return Target(provider=provider, model=model, base_url=found.base_url, api_key=found.api_key, label=label)
    if base_url:  # chosen by whoever wrote the deployment or the model: no server credentials go there
        return Target(provider=provider, model=model, base_url=base_url, api_key=None, label=label)
    api_key = None
    if provider == "openai":  # the operator's endpoint and key from settings (other providers: ProviderUpstream)
        base_url = settings.openai_base_url or os.environ.get("OPENAI_BASE_URL")
        secret = settings.openai_api_key
        api_key = secret.get_secret_value() if secret is not None else os.environ.get("OPENAI_API_KEY")
    return Target(provider=provider, model=model, base_url=base_url, api_key=api_key, label=label)


def _prompt_messages(rendered: Any) -> list[dict[str, Any]]:
    if rendered.messages is not None:
        return [{"role": m.role, "content": m.content} for m in rendered.messages]
    return [{"role": "user", "content": rendered.text or ""}]


def _guard(info: DeploymentInfo) -> Any:
    if not info.guardrails:
        return None
    from genloop.guardrails import Guard

    return Guard({"name": info.name, **info.guardrails})  # versions stored before policies were named


def _price_table(settings: Settings) -> Any:
    try:
        from genloop.providers import PriceTable

        return PriceTable.from_settings(settings)
    except Exception:  # a broken price file leaves costs unknown, never stops serving
        log.exception("price table could not be read; costs will be unknown")
        return None


def render_prompt_messages(variant: Variant, variables: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The prompt part of a request's messages (rendered with ``variables`` when the prompt has some)."""
    if variant.static_messages is not None:
        return variant.static_messages
    if variant.prompt is None:
        return []
    from genloop.prompts import render_version

    return _prompt_messages(render_version(variant.prompt, variables or {}))
