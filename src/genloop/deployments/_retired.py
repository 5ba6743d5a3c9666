"""Which deployments name retired prompt or model versions (issue 13).

A retired version may still be read (evaluations) but never newly deployed: :func:`check_not_retired` runs in
``_references`` when a deployment version is made, :func:`retired_in_use` feeds the gateway's ``/healthz`` details
and Studio. Retiring is ``genloop.governance.RetirementService``; reading it is here, in the domain layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from genloop.errors import InvalidInput
from genloop.store import Store

__all__ = ["check_not_retired", "retired_in_use"]


def _prompt_retired(store: Store, project: str, name: str, version: int) -> bool:
    from genloop.prompts._tables import PromptRow, PromptVersionRow
    from genloop.store._registry import Project

    query = (select(PromptVersionRow.retired_at).join(PromptRow, PromptRow.id == PromptVersionRow.prompt_id)
             .join(Project, Project.id == PromptRow.project_id)
             .where(Project.name == project, PromptRow.name == name, PromptVersionRow.version == version))
    with store.db.read() as session:
        return session.scalar(query) is not None


def check_not_retired(store: Store, project: str, where: str, prompt: Any, model: Any) -> None:
    """Raise :class:`InvalidInput` when the resolved prompt version or registry model version is retired."""
    if prompt is not None and _prompt_retired(store, project, prompt.name, prompt.version):
        raise InvalidInput(f"{where}: prompt {prompt.name}@{prompt.version} is retired and cannot be deployed",
                           hint=f"deploy a version that is not retired (genloop prompts versions {prompt.name})")
    if model is not None and getattr(model, "status", None) == "retired":
        raise InvalidInput(f"{where}: model {model.name}@{model.version} is retired and cannot be deployed",
                           hint=f"deploy a version that is not retired (genloop models versions {model.name})")


def retired_in_use(store: Store, deployments: Iterable[Any]) -> dict[tuple[str, str], list[str]]:
    """For each (project, deployment) whose version names a retired prompt or model version, what it names."""
    from genloop.errors import GenLoopError
    from genloop.models import ModelService
    from genloop.prompts import PromptService

    found: dict[tuple[str, str], list[str]] = {}
    for info in deployments:
        prompts, models = PromptService(store, info.project), ModelService(store, info.project)
        notes: list[str] = []
        for variant in (*info.variants, *info.shadows, *info.fallbacks):
            try:
                prompt = prompts.get(variant.prompt) if variant.prompt else None
                model_ref = variant.model or (prompt.model if prompt is not None else None)
                model = models.get(model_ref) if model_ref and ":" not in model_ref else None
            except GenLoopError:
                continue  # a missing reference is reported as broken elsewhere
            if prompt is not None and _prompt_retired(store, info.project, prompt.name, prompt.version):
                notes.append(f"variant {variant.name!r}: prompt {prompt.name}@{prompt.version} is retired")
            if model is not None and model.status == "retired":
                notes.append(f"variant {variant.name!r}: model {model.name}@{model.version} is retired")
        if notes:
            found[(info.project, info.name)] = notes
    return found
