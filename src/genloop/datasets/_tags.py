"""Tags on dataset versions: free-form markers such as ``golden``, ``few-shot`` or ``sft``.

Unlike labels (one version per label, used in references), a tag marks any number of versions and
is never part of a reference. Adding or removing one changes no content, only the version's tag
list, and is recorded in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.orm import Session

from genloop.datasets._tables import DatasetVersionRow
from genloop.errors import InvalidInput, NotFound
from genloop.store._registry import Project, record_audit

__all__ = ["COMMON_TAGS", "check_tag", "check_tags", "update_tags"]

COMMON_TAGS: tuple[str, ...] = ("golden", "few-shot", "sft")
_TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TAG_RULE = "1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"


def check_tag(tag: str) -> str:
    """Return ``tag`` if valid, else raise :class:`InvalidInput`."""
    if not isinstance(tag, str) or not _TAG_RE.fullmatch(tag):
        raise InvalidInput(f"invalid tag {tag!r}", hint=f"use {TAG_RULE}, e.g. {', '.join(COMMON_TAGS)}")
    return tag


def check_tags(tags: Iterable[str] | str | None) -> list[str]:
    """Validated tags, duplicates dropped, first-seen order kept."""
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [tags]
    seen: list[str] = []
    for tag in tags:
        if check_tag(tag) not in seen:
            seen.append(tag)
    return seen


def update_tags(session: Session, project: Project, actor: str, name: str, row: DatasetVersionRow, tag: str,
                *, add: bool) -> None:
    """Add or remove one tag on ``row`` and audit it; adding a present tag changes nothing."""
    before = list(row.tags or [])
    if add:
        if tag in before:
            return
        after = [*before, tag]
    else:
        if tag not in before:
            known = ", ".join(before) if before else "none"
            raise NotFound(f"dataset {name}@{row.version} has no tag {tag!r}", hint=f"its tags: {known}")
        after = [t for t in before if t != tag]
    row.tags = after
    record_audit(session, project, actor, "tag" if add else "untag", "dataset", name, version=row.version,
                 before={"tags": before}, after={"tags": after})
