"""Typed references (``dataset:golden@3``, ``model:tiny@champion``) and their resolution to one version.

Runs record what they read and wrote across nouns, so their references carry the entity type in
front of the usual ``NAME@ref`` (parsed by :func:`genloop.refs.parse_ref`). Resolution reads the
other packages' tables directly (read-only) through the same :class:`VersionedKind` they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Hint, InvalidInput, NotFound
from genloop.refs import Ref, parse_ref
from genloop.store._registry import find_project
from genloop.store._versioned import VersionedKind

__all__ = ["ENTITY_TYPES", "TypedRef", "candidates", "parse_typed_ref", "resolve_typed", "versioned_kind"]

ENTITY_TYPES: tuple[str, ...] = ("dataset", "prompt", "model")
_FORMS = "dataset:NAME@N, prompt:NAME@label or model:NAME"


@dataclass(frozen=True, slots=True)
class TypedRef:
    """A reference with an optional entity type: ``model:tiny@4`` or, untyped, ``tiny@4``."""

    entity_type: str | None
    ref: Ref

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def version(self) -> int | None:
        return self.ref.version

    def __str__(self) -> str:
        return f"{self.entity_type}:{self.ref}" if self.entity_type else str(self.ref)


def parse_typed_ref(text: str | TypedRef, *, require_type: bool = False) -> TypedRef:
    """Parse ``TYPE:NAME[@selector]`` (TYPE is dataset, prompt or model), or ``NAME[@selector]`` untyped."""
    if isinstance(text, TypedRef):
        typed = text
    elif not isinstance(text, str) or not text.strip():
        raise InvalidInput("empty reference", hint=f"write {_FORMS}")
    else:
        head, sep, rest = text.strip().partition(":")
        if not sep:
            typed = TypedRef(None, parse_ref(head))
        elif head not in ENTITY_TYPES:
            raise InvalidInput(f"unknown entity type {head!r} in reference {text!r}",
                               hint=f"use one of {', '.join(ENTITY_TYPES)}: {_FORMS}")
        else:
            typed = TypedRef(head, parse_ref(rest))
    if require_type and typed.entity_type is None:
        raise InvalidInput(f"reference {str(typed)!r} needs an entity type", hint=f"write {_FORMS}")
    return typed


@cache
def versioned_kind(entity_type: str) -> VersionedKind[Any, Any]:
    """The :class:`VersionedKind` of ``dataset``, ``prompt`` or ``model`` (tables imported on first use)."""
    if entity_type == "dataset":
        from genloop.datasets._tables import DatasetRow, DatasetVersionRow

        return VersionedKind("dataset", DatasetRow, DatasetVersionRow, "dataset_id")
    if entity_type == "prompt":
        from genloop.prompts._tables import PromptRow, PromptVersionRow

        return VersionedKind("prompt", PromptRow, PromptVersionRow, "prompt_id")
    if entity_type == "model":
        from genloop.models._tables import ModelRow, ModelVersionRow

        return VersionedKind("model", ModelRow, ModelVersionRow, "model_id")
    raise InvalidInput(f"unknown entity type {entity_type!r}", hint=f"use one of: {', '.join(ENTITY_TYPES)}")


def candidates(session: Session, project: str, name: str) -> list[str]:
    """The entity types that have something called ``name`` in ``project``."""
    row = find_project(session, project)
    if row is None:
        return []
    found = []
    for entity_type in ENTITY_TYPES:
        kind = versioned_kind(entity_type)
        hit = session.scalar(select(kind.parent_cls.id).where(kind.parent_cls.project_id == row.id,
                                                              kind.parent_cls.name == name))
        if hit is not None:
            found.append(entity_type)
    return found


def resolve_typed(session: Session, project: str, text: str | TypedRef, *, kind: str | None = None) -> TypedRef:
    """The concrete ``TYPE:NAME@N`` a reference points at; an untyped one is looked up across the nouns.

    Raises :class:`NotFound` when nothing matches, and :class:`InvalidInput` when an untyped name exists
    as several nouns (the message lists the typed forms to use instead).
    """
    typed = parse_typed_ref(text)
    if kind is not None:
        if kind not in ENTITY_TYPES:
            raise InvalidInput(f"unknown entity type {kind!r}", hint=f"use one of: {', '.join(ENTITY_TYPES)}")
        if typed.entity_type not in (None, kind):
            raise InvalidInput(f"reference {str(typed)!r} is a {typed.entity_type}, not a {kind}",
                               hint=Hint(cli="drop --kind or change the reference", sdk="drop kind= or change the reference",
                                         rest='drop "kind" or change the reference'))
        typed = TypedRef(kind, typed.ref)
    if typed.entity_type is None:
        found = candidates(session, project, typed.name)
        if not found:
            raise NotFound(f"no dataset, prompt or model is called {typed.name!r} in project {project!r}",
                           hint=Hint(cli="check the name and --project", sdk="check the name and Client(project=...)",
                                     rest="check the name and the project in the URL"))
        if len(found) > 1:
            options = ", ".join(f"{t}:{typed.ref}" for t in found)
            raise InvalidInput(f"{typed.name!r} is ambiguous in project {project!r}: it names a {' and a '.join(found)}",
                               hint=f"use a typed reference: {options}")
        typed = TypedRef(found[0], typed.ref)
    assert typed.entity_type is not None
    _, parent, row = versioned_kind(typed.entity_type).resolve(session, project, typed.ref)
    return TypedRef(typed.entity_type, Ref(parent.name, version=row.version))
