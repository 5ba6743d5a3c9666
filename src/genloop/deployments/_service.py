"""DeploymentService: create, version, read and list deployments (each version an immutable spec)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.deployments._references import check_references
from genloop.deployments._schemas import DeploymentInfo, DeploymentSpec
from genloop.deployments._tables import DeploymentRow, DeploymentVersionRow
from genloop.errors import Conflict, Hint, InvalidInput, NotFound
from genloop.refs import parse_ref, validate_name
from genloop.store import Page, Store
from genloop.store._guards import PromotionChange, check_promotion
from genloop.store._registry import Project
from genloop.store._versioned import VersionedKind

__all__ = ["DeploymentService", "parse_model_target"]

KIND: VersionedKind[DeploymentRow, DeploymentVersionRow] = VersionedKind(
    "deployment", DeploymentRow, DeploymentVersionRow, "deployment_id"
)
_SPEC_FIELDS = tuple(DeploymentSpec.model_fields)


def parse_model_target(ref: str) -> tuple[str | None, str]:
    """Split ``provider:model`` into its parts; a registry ref (``tiny@champion``) gives ``(None, ref)``."""
    provider, sep, model = ref.partition(":")
    if sep:
        if not provider or not model:
            raise InvalidInput(f"invalid model {ref!r}", hint="write provider:model (openai:gpt-4o-mini) or NAME@alias")
        return provider, model
    parse_ref(ref)
    return None, ref


class DeploymentService:
    """Every operation on the deployments of one project; returns schemas, raises ``genloop.errors``."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    # -- writing -----------------------------------------------------------------------------------

    def create(self, name: str, *, description: str | None = None, message: str = "", **spec: Any) -> DeploymentInfo:
        """Create deployment ``name`` (version 1) from spec fields (``variants``, ``fallbacks``, ``cache`` ...).

        Creating it again with identical content returns the existing version; different content is a
        :class:`Conflict` (use :meth:`update`). Every prompt, model, provider and connection it names must
        exist (:class:`InvalidInput` names the variant otherwise); a guardrail policy without a ``name`` is
        named after the deployment.
        """
        validate_name(name, "deployment name")
        parsed = _validated(_named_policy(spec, name))
        check_references(self.store, self.project, parsed)

        def fn(session: Session) -> DeploymentInfo:
            project = KIND.project(session, self.project) if self._exists(session, name) else None
            if project is not None:
                parent = KIND.parent(session, project, name)
                latest = KIND.latest(session, parent)
                if latest is not None and latest.content_hash != _hash(parsed):
                    raise Conflict(f"deployment {name!r} already exists (version {latest.version})",
                                   hint=f"change it with: genloop deployments update {name} ...")
            return self._add_version(session, name, parsed, description=description, message=message)

        return self.store.db.write(fn)

    def update(self, name: str, *, message: str = "", description: str | None = None, **changes: Any) -> DeploymentInfo:
        """A new version of ``name``: the latest spec with ``changes`` on top (identical content adds nothing)."""
        current = self.get(name)
        merged = current.model_dump(include=set(_SPEC_FIELDS))
        merged.update({k: v for k, v in changes.items() if v is not None})
        parsed = _validated(_named_policy(merged, current.name))
        check_references(self.store, self.project, parsed)

        def write(session: Session) -> DeploymentInfo:
            if _hash(parsed) != current.content_hash:  # a promotion policy may guard updates (issue 13)
                project = session.scalar(select(Project).where(Project.name == self.project))
                check_promotion(session, PromotionChange(
                    project=self.project, project_id=project.id if project else -1, entity_type="deployment",
                    name=current.name, target="update", version=current.version + 1, actor=self.actor,
                    content_hash=_hash(parsed)))
            return self._add_version(session, name, parsed, description=description, message=message)

        return self.store.db.write(write)

    def apply_reviewed(self, session: Session, name: str, spec: dict[str, Any], *, message: str = "") -> DeploymentInfo:
        """Add the version a promotion review approved, in the reviewer's transaction (the guard is not asked:
        the approval is the permission). Its references are checked again: a version retired since the review was
        requested is refused as it is on any update."""
        parsed = _validated(spec)
        check_references(self.store, self.project, parsed)
        return self._add_version(session, name, parsed, description=None, message=message)

    @staticmethod
    def proposed(current: DeploymentInfo, changes: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """The spec ``changes`` make of ``current`` (checked) and its content hash, as ``update`` computes them."""
        merged = current.model_dump(include=set(_SPEC_FIELDS))
        merged.update({k: v for k, v in changes.items() if v is not None})
        parsed = _validated(_named_policy(merged, current.name))
        return parsed.model_dump(mode="json"), _hash(parsed)

    def _add_version(self, session: Session, name: str, spec: DeploymentSpec, *, description: str | None,
                     message: str) -> DeploymentInfo:
        content = spec.model_dump(mode="json")
        row, _created = KIND.create_version(
            session, project_name=self.project, name=name, actor=self.actor, content_hash=_hash(spec),
            description=description,
            build=lambda parent, number: DeploymentVersionRow(
                deployment_id=parent.id, version=number, spec=content, message=message,
                content_hash=_hash(spec), created_by=self.actor,
            ),
        )
        parent = session.get(DeploymentRow, row.deployment_id)
        if description is not None and parent is not None and parent.description != description:
            parent.description = description
        self.store.cache.invalidate("deployment", self.project)
        return _info(self.project, parent, row)  # type: ignore[arg-type]

    def _exists(self, session: Session, name: str) -> bool:
        return session.scalar(
            select(func.count()).select_from(DeploymentRow).join(Project, Project.id == DeploymentRow.project_id)
            .where(Project.name == self.project, DeploymentRow.name == name)
        ) > 0

    # -- reading -----------------------------------------------------------------------------------

    def get(self, ref: str) -> DeploymentInfo:
        """The version ``ref`` points at: ``NAME`` (latest) or ``NAME@3``."""
        with self.store.db.read() as session:
            _project, parent, row = KIND.resolve(session, self.project, ref)
            return _info(self.project, parent, row)

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[DeploymentInfo]:
        """The latest version of every deployment in the project, by name."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            parents, total = KIND.list_parents(session, self.project, offset, limit)
            items = []
            for parent in parents:
                latest = KIND.latest(session, parent)
                if latest is not None:
                    items.append(_info(self.project, parent, latest))
        return Page.build(items, total, offset, limit)

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[DeploymentInfo]:
        """Every version of one deployment, newest first."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            rows, total = KIND.list_versions(session, self.project, name, offset, limit)
            parent = KIND.parent(session, KIND.project(session, self.project), name)
            items = [_info(self.project, parent, row) for row in rows]
        return Page.build(items, total, offset, limit)

    @staticmethod
    def latest_everywhere(store: Store) -> list[DeploymentInfo]:
        """The latest version of every deployment in every project (what a gateway serves)."""
        newest = (
            select(DeploymentVersionRow.deployment_id, func.max(DeploymentVersionRow.version).label("v"))
            .group_by(DeploymentVersionRow.deployment_id).subquery()
        )
        query = (
            select(DeploymentRow, DeploymentVersionRow, Project.name)
            .join(Project, Project.id == DeploymentRow.project_id)
            .join(newest, newest.c.deployment_id == DeploymentRow.id)
            .join(DeploymentVersionRow, (DeploymentVersionRow.deployment_id == DeploymentRow.id)
                  & (DeploymentVersionRow.version == newest.c.v))
        )
        with store.db.read() as session:
            return [_info(project, parent, row) for parent, row, project in session.execute(query).all()]


def _validated(spec: dict[str, Any]) -> DeploymentSpec:
    unknown = set(spec) - set(_SPEC_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown deployment field(s): {', '.join(sorted(unknown))}",
                           hint=f"known fields: {', '.join(_SPEC_FIELDS)}")
    try:
        parsed = DeploymentSpec.model_validate(spec)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'spec'}: {e['msg']}" for e in exc.errors()[:10])
        raise InvalidInput(f"invalid deployment: {problems}", hint=Hint(cli="see `genloop deployments create --help`",
                                                                        sdk="see help(client.deployments.create)",
                                                                        rest="see the DeploymentCreate schema in "
                                                                             "/api/v1/openapi.json")) from exc
    for variant in (*parsed.variants, *parsed.shadows, *parsed.fallbacks):
        if variant.api_key_env:
            raise InvalidInput(f"variant {variant.name!r}: api_key_env is no longer accepted (it let a deployment read "
                               "any environment variable of the server)",
                               hint=Hint(cli="an operator creates a connection (genloop connections create NAME "
                                             "--provider openai --base-url URL --secret-env VAR); the variant names "
                                             "it: connection=NAME",
                                         sdk="an operator creates a connection (client.connections.create(NAME, "
                                             "provider='openai', base_url=URL, secret_env=VAR)); the variant names "
                                             "it: {'connection': NAME, ...}",
                                         rest='an operator creates a connection (POST /api/v1/connections with '
                                              '"name", "provider", "base_url", "secret_env"); the variant names it '
                                              'in "connection"'))
        if variant.prompt:
            parse_ref(variant.prompt)
        if variant.model:
            parse_model_target(variant.model)
    if parsed.guardrails is not None:  # stored canonical: `apply_to`/YAML's `on: -> true` read once, here
        parsed.guardrails = _check_policy(parsed.guardrails)
    return parsed


def _named_policy(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """``spec`` with its guardrail policy named after the deployment when the policy has no name of its own."""
    policy = spec.get("guardrails")
    if isinstance(policy, dict) and not policy.get("name"):
        return {**spec, "guardrails": {**policy, "name": name}}
    return spec


def _check_policy(policy: dict[str, Any]) -> dict[str, Any]:
    from genloop.guardrails import Guard

    try:
        return Guard(policy).policy.to_dict()
    except Exception as exc:  # any policy error is the caller's mistake
        raise InvalidInput(f"invalid guardrail policy: {exc}", hint="see the genloop.guardrails policy format") from exc


def _hash(spec: DeploymentSpec) -> str:
    canonical = orjson.dumps(spec.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _info(project: str, parent: DeploymentRow, row: DeploymentVersionRow) -> DeploymentInfo:
    if row is None:
        raise NotFound("deployment version missing")
    return DeploymentInfo(
        project=project, name=parent.name, version=row.version, description=parent.description,
        message=row.message, content_hash=row.content_hash, created_at=row.created_at, created_by=row.created_by,
        **row.spec,
    )
