"""What a deployment names must exist: prompt versions and labels, models, providers, connections.

Checked when a version is created (``create`` and every ``update``), so a typo (``geo@9``,
``opneai:gpt-4o-mini``) is refused with the reason and a suggestion instead of becoming a deployment that
fails every request. Labels and aliases may still move later; the gateway then answers a clear 4xx.
"""

from __future__ import annotations

from typing import Any

from genloop.deployments._schemas import DeploymentSpec, VariantSpec
from genloop.errors import GenLoopError, InvalidInput, did_you_mean
from genloop.store import Store

__all__ = ["check_references"]


def check_references(store: Store, project: str, spec: DeploymentSpec) -> None:
    """Raise :class:`InvalidInput` naming the first variant whose prompt, model, provider or connection is unknown."""
    from genloop.models import ModelService
    from genloop.prompts import PromptService

    prompts, models = PromptService(store, project), ModelService(store, project)
    groups = (("variants", spec.variants), ("shadows", spec.shadows), ("fallbacks", spec.fallbacks))
    for group, variants in groups:
        for variant in variants:
            _check_variant(store, f"{group}: variant {variant.name!r}", variant, prompts, models)


def _check_variant(store: Store, where: str, variant: VariantSpec, prompts: Any, models: Any) -> None:
    prompt = None
    if variant.prompt:
        prompt = _resolve(where, "prompt", variant.prompt, prompts.get,
                          f"list them with: genloop prompts versions {variant.prompt.split('@')[0]}")
    model = variant.model or (prompt.model if prompt is not None else None)
    if not model:
        raise InvalidInput(f"{where}: no model: prompt {prompt.ref if prompt else '?'} names none",
                           hint="give the variant a model (provider:model or NAME@alias)")
    provider, sep, _name = model.partition(":")
    if sep:
        from genloop.providers import list_providers

        known = list_providers()
        if provider not in known:
            raise InvalidInput(f"{where}: unknown provider {provider!r} in model {model!r}"
                               f"{did_you_mean(provider, known)}", hint=f"known providers: {', '.join(known)}")
    registered = None
    if not sep:
        registered = _resolve(where, "model", model, models.get,
                              f"list them with: genloop models versions {model.split('@')[0]}")
    from genloop.deployments._retired import check_not_retired

    check_not_retired(store, models.project, where, prompt, registered)
    if variant.connection:
        from genloop.connections import ConnectionService

        service = ConnectionService(store)
        try:
            found = service.get(variant.connection)
        except GenLoopError:
            names = [c.name for c in service.list(limit=500).items]
            raise InvalidInput(f"{where}: connection {variant.connection!r} does not exist"
                               f"{did_you_mean(variant.connection, names)}",
                               hint="an operator creates it with: genloop connections create NAME ...") from None
        if sep and found.provider != provider:
            raise InvalidInput(f"{where}: connection {found.name!r} speaks {found.provider}, not {provider} "
                               f"(model {model})", hint=f"use a {provider} connection, or a {found.provider}: model")


def _resolve(where: str, what: str, ref: str, get: Any, hint: str) -> Any:
    try:
        return get(ref)
    except GenLoopError as exc:
        if exc.status_code != 404:
            raise
        raise InvalidInput(f"{where}: {what} {ref!r} does not exist ({exc.message})", hint=hint) from None
