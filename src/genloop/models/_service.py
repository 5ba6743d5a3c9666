"""The model registry: register versions, move aliases, and walk versions through review to retirement."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, Hint, InvalidInput, NotFound
from genloop.models._files import check_base_url, check_copyable, check_uri, copy_into_store, remove_written
from genloop.models._schemas import (
    MODEL_KINDS,
    MODEL_STATUSES,
    STATUS_TRANSITIONS,
    ModelDetail,
    ModelInfo,
    ModelVersion,
    StatusChange,
)
from genloop.models._tables import ModelRow, ModelVersionRow, model_content_hash
from genloop.refs import Ref, parse_ref, validate_label, validate_name
from genloop.store import Page, Store
from genloop.store._registry import AuditEvent, find_project, labels_of, record_audit
from genloop.store._versioned import VersionedKind

__all__ = ["ModelService"]

MODELS: VersionedKind[ModelRow, ModelVersionRow] = VersionedKind("model", ModelRow, ModelVersionRow, "model_id")


class ModelService:
    """Every model-registry operation for one project; returns schemas and raises ``genloop.errors``."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    # -- writing -------------------------------------------------------------------------------

    def register(
        self,
        name: str,
        *,
        kind: str,
        uri: str,
        base: str | None = None,
        base_url: str | None = None,
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        description: str = "",
        source_run_id: str | None = None,
        copy: bool = False,
    ) -> ModelVersion:
        """Register a version of model ``name``; identical content to the latest version returns that version.

        ``kind`` is provider, checkpoint, adapter, merged or quantized. ``base`` (a model ref, required for
        adapters) is stored as the concrete ``NAME@N`` it resolves to. ``copy=True`` copies a local path into
        the artifact store and registers the copy (the original URI is kept in ``metadata["source_uri"]``).
        """
        return self.register_or_get(
            name, kind=kind, uri=uri, base=base, base_url=base_url, config=config, metadata=metadata,
            description=description, source_run_id=source_run_id, copy=copy,
        )[0]

    def register_or_get(
        self,
        name: str,
        *,
        kind: str,
        uri: str,
        base: str | None = None,
        base_url: str | None = None,
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        description: str = "",
        source_run_id: str | None = None,
        copy: bool = False,
    ) -> tuple[ModelVersion, bool]:
        """Like :meth:`register`, and also whether a new version was created (the REST API answers 201 or 200)."""
        validate_name(name, "model name")
        if kind not in MODEL_KINDS:
            raise InvalidInput(f"invalid model kind {kind!r}", hint=f"use one of: {', '.join(MODEL_KINDS)}")
        if copy:
            check_copyable(kind, uri)
        uri = check_uri(kind, uri)
        config = _json_dict(config, "config")
        metadata = _json_dict(metadata, "metadata")
        if base_url is not None:
            if kind != "provider":
                raise InvalidInput(f"a base URL only applies to provider models, not {kind}", hint=Hint(cli="drop --base-url", sdk="drop base_url=",
                                                                                                     rest='drop "base_url"'))
            if config.get("base_url") not in (None, base_url):
                raise InvalidInput("base_url given twice with different values", hint="pass it once")
            config["base_url"] = check_base_url(base_url)
        base_ref = self._check_refs(kind, base, source_run_id)
        written: list[str] = []
        if copy:
            source_uri = uri
            uri, copied, written = copy_into_store(self.store.artifacts, name, uri)
            metadata = {"source_uri": source_uri, **metadata, **copied}
        content_hash = model_content_hash(kind, uri, f"{base_ref[0]}@{base_ref[1]}" if base_ref else None, config)

        def build(parent: ModelRow, number: int) -> ModelVersionRow:
            return ModelVersionRow(
                model_id=parent.id, version=number, kind=kind, uri=uri, config=config, metadata_=metadata,
                base_name=base_ref[0] if base_ref else None, base_version=base_ref[1] if base_ref else None,
                status="draft", description=description or "", source_run_id=source_run_id, created_by=self.actor,
            )

        def write(session: Session) -> tuple[ModelVersion, bool]:
            row, created = MODELS.create_version(
                session, project_name=self.project, name=name, actor=self.actor, content_hash=content_hash,
                build=build, description=description,
            )
            return self._schema(session, name, row), created

        try:
            result = self.store.db.write(write)
        except BaseException:
            remove_written(self.store.artifacts, written)  # no files without the version that names them
            raise
        self.store.cache.invalidate("model", self.project)
        return result

    def _check_refs(self, kind: str, base: str | None, source_run_id: str | None) -> tuple[str, int] | None:
        """Resolve ``base`` to a concrete (name, version) and check the source run exists, before any copy."""
        if kind == "adapter" and not base:
            raise InvalidInput("an adapter model needs a base model", hint=Hint(cli="pass --base NAME@N (a registered model)",
                                                                                sdk="pass base='NAME@N' (a registered model)",
                                                                                rest='send "base": "NAME@N" (a registered model)'))
        if base and kind == "provider":
            raise InvalidInput("a provider model has no base model", hint=Hint(cli="drop --base", sdk="drop base=",
                                                                                    rest='drop "base"'))
        if source_run_id is not None and (not isinstance(source_run_id, str) or not 0 < len(source_run_id) <= 64):
            raise InvalidInput(f"invalid source run id {source_run_id!r}", hint="pass the id of a run")
        with self.store.db.read() as session:
            if source_run_id is not None:
                from genloop.runs._tables import RunRow

                project = find_project(session, self.project)
                run = session.get(RunRow, source_run_id)
                if run is None or project is None or run.project_id != project.id:
                    raise NotFound(f"run {source_run_id!r} does not exist in project {self.project!r}",
                                   hint="list runs with: genloop runs list")
            if not base:
                return None
            plain = base.removeprefix("model:")
            try:
                _, parent, row = MODELS.resolve(session, self.project, plain)
            except NotFound as exc:
                raise NotFound(f"base model {base!r} does not resolve: {exc.message}", hint=exc.hint) from exc
            if row.kind == "provider":
                raise InvalidInput(f"base model {parent.name}@{row.version} is a provider model; a {kind} needs "
                                   "weights to build on", hint="use a checkpoint (or merged/quantized) model as base")
            return parent.name, row.version

    def alias(self, ref: str, alias: str) -> ModelVersion:
        """Point ``alias`` (``champion``, ``production``) at the version ``ref`` resolves to."""
        validate_label(alias)

        def write(session: Session) -> ModelVersion:
            _, parent, row = MODELS.resolve(session, self.project, ref)
            if row.status == "retired":
                raise Conflict(f"model {parent.name}@{row.version} is retired and cannot take alias {alias!r}",
                               hint="alias a version that is not retired")
            MODELS.set_label(session, self.project, f"{parent.name}@{row.version}", alias, self.actor)
            return self._schema(session, parent.name, row)

        result = self.store.db.write(write)
        self.store.cache.invalidate("model", self.project)
        return result

    def unalias(self, name: str, alias: str) -> None:
        """Remove ``alias`` from model ``name``."""
        validate_name(name, "model name")
        self.store.db.write(lambda session: MODELS.delete_label(session, self.project, name, alias, self.actor))
        self.store.cache.invalidate("model", self.project)

    def set_status(self, ref: str, status: str, *, reason: str | None = None) -> ModelVersion:
        """Move a version along draft -> reviewed -> approved -> retired; the change and reason are audited."""
        if status not in MODEL_STATUSES:
            raise InvalidInput(f"invalid model status {status!r}", hint=f"use one of: {', '.join(MODEL_STATUSES)}")

        def write(session: Session) -> ModelVersion:
            project, parent, row = MODELS.resolve(session, self.project, ref)
            old, where = row.status, f"{parent.name}@{row.version}"
            if status == old:
                raise Conflict(f"model {where} is already {status}")
            allowed = STATUS_TRANSITIONS.get(old, ())
            if status not in allowed:
                hint = f"from {old} it can go to: {', '.join(allowed)}" if allowed else f"{old} is final"
                raise Conflict(f"model {where} cannot go from {old} to {status}", hint=hint)
            row.status = status
            record_audit(session, project, self.actor, "status", "model", parent.name, version=row.version,
                         before={"status": old}, after={"status": status, "reason": reason})
            return self._schema(session, parent.name, row)

        result = self.store.db.write(write)
        self.store.cache.invalidate("model", self.project)
        return result

    # -- reading -------------------------------------------------------------------------------

    def get(self, ref: str) -> ModelVersion:
        """The version ``ref`` (``NAME``, ``NAME@3``, ``NAME@champion``) points at, read now."""
        with self.store.db.read() as session:
            _, parent, row = MODELS.resolve(session, self.project, ref)
            return self._schema(session, parent.name, row)

    def resolve(self, ref: str | Ref) -> ModelVersion:
        """Like :meth:`get`, from the in-process cache when possible (the gateway calls this per request)."""
        key = ("model", self.project, str(parse_ref(ref)))
        hit = self.store.cache.get(key)
        if not self.store.cache.is_missing(hit):
            return hit  # type: ignore[no-any-return]
        version = self.get(str(ref))
        self.store.cache.put(key, version)
        return version

    def show(self, ref: str) -> ModelDetail:
        """A version with its status history (registration, then each change with actor and reason)."""
        with self.store.db.read() as session:
            project, parent, row = MODELS.resolve(session, self.project, ref)
            version = self._schema(session, parent.name, row)
            events = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.project_id == project.id, AuditEvent.entity_type == "model",
                    AuditEvent.entity_name == parent.name, AuditEvent.entity_version == row.version,
                    AuditEvent.action.in_(("create", "status")),
                ).order_by(AuditEvent.id)
            )
            history = [_status_change(ev) for ev in events]
        return ModelDetail(**version.model_dump(), history=history)

    def history(self, ref: str) -> list[StatusChange]:
        """The status history of one version, oldest first."""
        return self.show(ref).history

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[ModelInfo]:
        """Registered models, by name, each summarised by its latest version."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            parents, total = MODELS.list_parents(session, self.project, offset, limit)
            items = []
            for parent in parents:
                latest = MODELS.latest(session, parent)
                items.append(ModelInfo(
                    name=parent.name, description=parent.description,
                    latest_version=latest.version if latest else None, kind=latest.kind if latest else None,
                    status=latest.status if latest else None,
                    aliases=labels_of(session, parent.project_id, "model", parent.name),
                    created_at=parent.created_at, created_by=parent.created_by,
                ))
        return Page.build(items, total, offset, limit)

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[ModelVersion]:
        """The versions of model ``name``, newest first."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            rows, total = MODELS.list_versions(session, self.project, name, offset, limit)
            labels = labels_of(session, MODELS.project(session, self.project).id, "model", name)
            items = [self._schema(session, name, row, labels) for row in rows]
        return Page.build(items, total, offset, limit)

    # -- helpers -------------------------------------------------------------------------------

    def _schema(self, session: Session, name: str, row: ModelVersionRow,
                labels: dict[str, int] | None = None) -> ModelVersion:
        if labels is None:
            project = find_project(session, self.project)
            labels = labels_of(session, project.id, "model", name) if project else {}
        return ModelVersion(
            name=name, version=row.version, kind=row.kind, uri=row.uri,
            base=f"{row.base_name}@{row.base_version}" if row.base_name else None,
            config=row.config or {}, metadata=row.metadata_ or {}, status=row.status,
            aliases=sorted(label for label, version in labels.items() if version == row.version),
            description=row.description, source_run_id=row.source_run_id,
            created_at=row.created_at, created_by=row.created_by,
        )


def _status_change(event: AuditEvent) -> StatusChange:
    if event.action == "create":
        return StatusChange(from_status=None, to_status="draft", reason="registered", actor=event.actor,
                            at=event.created_at)
    after = event.after or {}
    return StatusChange(from_status=(event.before or {}).get("status"), to_status=after.get("status", "?"),
                        reason=after.get("reason"), actor=event.actor, at=event.created_at)


def _json_dict(value: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """A JSON-safe copy of ``value`` (so the stored form, and its hash, equal what was given)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object, got {type(value).__name__}")
    try:
        return json.loads(json.dumps(value, allow_nan=False))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} is not JSON-serialisable: {exc}",
                           hint="use strings, finite numbers, booleans, lists and objects") from exc
