"""Retirement: a retired prompt or model version may still be read (evaluations), but never newly deployed.

``retire_prompt`` stamps ``prompt_versions.retired_at``; ``retire_model`` moves the model's status to
``retired`` (the model lifecycle already ends there). :func:`check_not_retired` is called by
``deployments._references`` when a deployment version is created, and :func:`retired_in_use` lists the
deployments whose latest version still names a retired version (``/healthz`` details, Studio).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, InvalidInput
from genloop.store import Store, utcnow
from genloop.store._registry import record_audit

__all__ = ["RetirementService", "check_not_retired", "retired_in_use"]


class RetirementService:
    """Retire prompt versions and model versions of one project; each retirement is audited."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def retire_prompt(self, ref: str, *, reason: str | None = None) -> dict[str, Any]:
        """Retire the prompt version ``ref`` resolves to (``NAME@3``, ``NAME@production``); final."""
        from genloop.prompts import PromptService
        from genloop.prompts._tables import PromptVersionRow

        version = PromptService(self.store, self.project).get(ref)

        def write(session: Session) -> dict[str, Any]:
            from genloop.prompts._service import KIND

            project, parent, row = KIND.resolve(session, self.project, f"{version.name}@{version.version}")
            assert isinstance(row, PromptVersionRow)
            where = f"{parent.name}@{row.version}"
            if row.retired_at is not None:
                raise Conflict(f"prompt {where} is already retired (by {row.retired_by} at {row.retired_at:%Y-%m-%d})")
            row.retired_at, row.retired_by = utcnow(), self.actor
            record_audit(session, project, self.actor, "retire", "prompt", parent.name, version=row.version,
                         after={"retired": True, "reason": reason})
            return {"name": parent.name, "version": row.version, "retired_at": row.retired_at,
                    "retired_by": self.actor, "reason": reason}

        result = self.store.db.write(write)
        self.store.cache.invalidate("prompt", self.project)
        return result

    def retire_model(self, ref: str, *, reason: str | None = None) -> dict[str, Any]:
        """Retire the model version ``ref`` resolves to (its status becomes ``retired``; final)."""
        from genloop.models import ModelService

        found = ModelService(self.store, self.project, self.actor).set_status(ref, "retired", reason=reason)
        return {"name": found.name, "version": found.version, "status": found.status, "reason": reason}


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
