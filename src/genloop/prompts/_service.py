"""The prompt service: create versions, resolve and render references, move labels, diff.

``get`` and ``render`` are the hot path (the evaluation engine and the gateway call them per
request): a resolved reference is kept in ``store.cache`` and every write that can change what a
reference points at invalidates the prompts of its project, so a cached ``get("support@production")``
costs a dictionary lookup. The service holds no other state and is safe to share between threads.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, NotFound
from genloop.prompts._diff import diff_versions
from genloop.prompts._schemas import PromptDiff, PromptInfo, PromptVersion, RenderedPrompt
from genloop.prompts._spec import PromptSpec, build_spec, spec_from_yaml
from genloop.prompts._tables import PromptRow, PromptVersionRow
from genloop.prompts._template import render_version
from genloop.prompts._yaml import read_text_file
from genloop.refs import Ref, parse_ref, validate_label, validate_name
from genloop.store import Page, RefCache, Store, utcnow
from genloop.store._registry import Label, find_project, record_audit
from genloop.store._versioned import VersionedKind

__all__ = ["ENTITY", "PromptService"]

ENTITY = "prompt"
KIND: VersionedKind[PromptRow, PromptVersionRow] = VersionedKind(ENTITY, PromptRow, PromptVersionRow, "prompt_id")

# Writes per cache and project. A read that overlapped a write drops what it cached, so a thread
# that read just before a label moved cannot put the old version back after the invalidation.
_writes: weakref.WeakKeyDictionary[RefCache, dict[str, int]] = weakref.WeakKeyDictionary()


class PromptService:
    """Every prompt operation in one project; ``actor`` is recorded in the audit log."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    # -- writing -------------------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        messages: builtins.list[Mapping[str, Any]] | None = None,
        template: str | None = None,
        variables: builtins.list[str] | None = None,
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        response_schema: Mapping[str, Any] | None = None,
        message: str = "",
        description: str | None = None,
    ) -> PromptVersion:
        """Create a version (chat ``messages`` or text ``template``); identical content returns the latest."""
        fields = {"messages": messages, "template": template, "variables": variables, "model": model,
                  "params": params, "response_schema": response_schema, "description": description}
        spec = build_spec({k: v for k, v in fields.items() if v is not None})
        return self.create_or_get(name, spec, message=message)[0]

    def create_from_file(self, name: str, path: str | Path, *, message: str = "") -> PromptVersion:
        """Create a version from a prompt.yaml file (format in :mod:`genloop.prompts`)."""
        return self.create_from_yaml(name, read_text_file(path), filename=str(path), message=message)

    def create_from_yaml(self, name: str, text: str, *, filename: str = "<prompt.yaml>",
                         message: str = "") -> PromptVersion:
        """Create a version from prompt.yaml text; errors name ``filename``, the line and the field."""
        return self.create_or_get(name, spec_from_yaml(text, filename), message=message)[0]

    def create_or_get(self, name: str, spec: PromptSpec, *, message: str = "") -> tuple[PromptVersion, bool]:
        """Write ``spec`` as the next version unless the latest has the same content; say which happened."""
        validate_name(name, "prompt name")
        content_hash, actor, message = spec.content_hash, self.actor, message or ""

        def write(session: Session) -> tuple[PromptVersion, bool]:
            def build(parent: PromptRow, number: int) -> PromptVersionRow:
                return PromptVersionRow(
                    prompt_id=parent.id, version=number, template_type=spec.template_type,
                    messages=[dict(m) for m in spec.messages] if spec.messages is not None else None,
                    template=spec.template, variables=list(spec.variables), model=spec.model,
                    params=dict(spec.params), response_schema=spec.response_schema, message=message,
                    content_hash=content_hash, created_at=utcnow(), created_by=actor,
                )

            row, created = KIND.create_version(session, project_name=self.project, name=name, actor=actor,
                                               content_hash=content_hash, build=build, description=spec.description)
            project = KIND.project(session, self.project)
            parent = session.get(PromptRow, row.prompt_id)
            if parent is not None and spec.description is not None and parent.description != spec.description:
                record_audit(session, project, actor, "update", ENTITY, name,
                             before={"description": parent.description}, after={"description": spec.description})
                parent.description = spec.description
            return _version(name, row, KIND.labels(session, project, name)), created

        result = self.store.db.write(write)
        self._changed()
        return result

    def label(self, ref: str | Ref, label: str) -> PromptVersion:
        """Point ``label`` at the version ``ref`` resolves to (moving it if it exists); audited."""
        validate_label(label)

        def write(session: Session) -> PromptVersion:
            row, _previous = KIND.set_label(session, self.project, ref, label, self.actor)
            if row.retired_at is not None:  # a retired version takes no new label (rolled back with the move)
                raise Conflict(f"prompt version @{row.version} is retired and cannot take label {label!r}",
                               hint="label a version that is not retired")
            project = KIND.project(session, self.project)
            parent = session.get(PromptRow, row.prompt_id)
            assert parent is not None
            return _version(parent.name, row, KIND.labels(session, project, parent.name))

        result = self.store.db.write(write)
        self._changed()
        return result

    def unlabel(self, name: str, label: str) -> None:
        """Remove ``label`` from prompt ``name``; audited."""
        validate_name(name, "prompt name")

        def write(session: Session) -> None:
            project = KIND.project(session, self.project, name)
            KIND.parent(session, project, name)
            known = KIND.labels(session, project, name)
            if label not in known:
                hint = (f"its labels are: {', '.join(sorted(known))}" if known
                        else f"it has no labels; set one with: genloop prompts label {name}@N LABEL")
                raise NotFound(f"prompt {name!r} has no label {label!r}", hint=hint)
            KIND.delete_label(session, self.project, name, label, self.actor)

        self.store.db.write(write)
        self._changed()

    def _changed(self) -> None:
        """After a committed write: count it, then drop this project's cached references."""
        counts = _writes.setdefault(self.store.cache, {})
        counts[self.project] = counts.get(self.project, 0) + 1
        self.store.cache.invalidate(ENTITY, self.project)

    # -- reading -------------------------------------------------------------------------------

    def cached(self, ref: str | Ref) -> PromptVersion | None:
        """The version ``ref`` points at if it is in the in-process cache, else None; never reads the database."""
        found = self.store.cache.get((ENTITY, self.project, ref)) if isinstance(ref, str | Ref) else None
        return None if found is None or self.store.cache.is_missing(found) else found  # type: ignore[no-any-return]

    def get(self, ref: str | Ref) -> PromptVersion:
        """The version ``ref`` points at (``NAME``, ``NAME@3``, ``NAME@production``); cached."""
        cache = self.store.cache
        key = (ENTITY, self.project, ref if isinstance(ref, str | Ref) else parse_ref(ref))
        cached = cache.get(key)
        if not cache.is_missing(cached):
            return cached  # type: ignore[no-any-return]
        counts = _writes.setdefault(cache, {})
        before = counts.get(self.project, 0)
        with self.store.db.read() as session:
            project, parent, row = KIND.resolve(session, self.project, ref)
            version = _version(parent.name, row, KIND.labels(session, project, parent.name))
        if counts.get(self.project, 0) == before:  # else a write landed meanwhile: what we read may be stale
            cache.put(key, version)
            if counts.get(self.project, 0) != before:  # ...or landed between the check and the put
                cache.invalidate(*key)
        return version

    def render(self, ref: str | Ref, variables: Mapping[str, Any] | None = None) -> RenderedPrompt:
        """Render the version ``ref`` points at; a missing variable is an error naming it, extras are ignored."""
        return render_version(self.get(ref), variables)

    def diff(self, ref_a: str | Ref, ref_b: str | Ref) -> PromptDiff:
        """What changed from ``ref_a`` to ``ref_b`` (field by field, and as a unified diff)."""
        return diff_versions(self.get(ref_a), self.get(ref_b))

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[PromptInfo]:
        """Prompts of the project by name, with their latest version and labels."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            parents, total = KIND.list_parents(session, self.project, offset, limit)
            if not parents:
                return Page.build([], total, offset, limit)
            ids = [p.id for p in parents]
            latest = {
                pid: (number, created)
                for pid, number, created in session.execute(
                    select(PromptVersionRow.prompt_id, func.max(PromptVersionRow.version),
                           func.max(PromptVersionRow.created_at))
                    .where(PromptVersionRow.prompt_id.in_(ids))
                    .group_by(PromptVersionRow.prompt_id)
                )
            }
            labels: dict[str, dict[str, int]] = {}
            project = find_project(session, self.project)
            assert project is not None
            for row in session.scalars(select(Label).where(
                Label.project_id == project.id, Label.entity_type == ENTITY,
                Label.entity_name.in_([p.name for p in parents]),
            )):
                labels.setdefault(row.entity_name, {})[row.label] = row.version
            items = [
                PromptInfo(name=p.name, description=p.description, latest_version=latest.get(p.id, (None, None))[0],
                           labels=dict(sorted(labels.get(p.name, {}).items())), created_at=p.created_at,
                           created_by=p.created_by, updated_at=latest.get(p.id, (None, None))[1])
                for p in parents
            ]
        return Page.build(items, total, offset, limit)

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[PromptVersion]:
        """Versions of prompt ``name``, newest first."""
        validate_name(name, "prompt name")
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            rows, total = KIND.list_versions(session, self.project, name, offset, limit)
            project = KIND.project(session, self.project)
            labels = KIND.labels(session, project, name)
            items = [_version(name, row, labels) for row in rows]
        return Page.build(items, total, offset, limit)


def _version(name: str, row: PromptVersionRow, labels: Mapping[str, int]) -> PromptVersion:
    return PromptVersion(
        name=name, version=row.version, template_type=row.template_type,  # type: ignore[arg-type]
        messages=row.messages, template=row.template, variables=row.variables or [], model=row.model,
        params=row.params or {}, response_schema=row.response_schema, message=row.message or "",
        content_hash=row.content_hash, labels=sorted(k for k, v in labels.items() if v == row.version),
        created_at=row.created_at, created_by=row.created_by or "",
    )

