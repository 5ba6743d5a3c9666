"""Retirement: a retired prompt or model version may still be read (evaluations), but never newly deployed.

``retire_prompt`` stamps ``prompt_versions.retired_at``; ``retire_model`` moves the model's status to
``retired`` (the model lifecycle already ends there). The checks that read retirement live with deployments
(``genloop.deployments._retired``, a domain package may not import this engine): :func:`check_not_retired` runs
when a deployment version is created, :func:`retired_in_use` lists the deployments whose latest version still
names a retired version (``/healthz`` details, Studio).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from genloop.deployments._retired import check_not_retired, retired_in_use
from genloop.errors import Conflict
from genloop.store import Store, utcnow
from genloop.store._registry import record_audit

__all__ = ["RetirementService", "check_not_retired", "retired_in_use"]  # the checks re-exported from deployments


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
