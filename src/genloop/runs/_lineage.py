"""Lineage: the graph behind a version, read from run edges and the versions' own back-pointers.

A version was produced by a run when that run lists it as an ``output`` edge, or when the version row
names the run in ``source_run_id`` (dataset and model versions). Its direct parent is the base model of
an adapter (or merged/quantized model) and the parent version of a dataset version, or the source
version its ``transform`` names (a split part points at the version it was split from). The walk is a tree
(a shared ancestor appears under each child) cut at ``depth``; cycles cannot be written, but a version
already on the current path is never expanded again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.errors import GenLoopError, InvalidInput
from genloop.runs._refs import resolve_typed, versioned_kind
from genloop.runs._schemas import LineageNode, RunSummary
from genloop.runs._tables import RunRefRow, RunRow
from genloop.store._registry import Project, find_project

__all__ = ["MAX_DEPTH", "build_lineage"]

MAX_DEPTH = 100

Key = tuple[str, str, int]


def build_lineage(session: Session, project: str, ref: str, *, kind: str | None = None, depth: int = 10) -> LineageNode:
    """The lineage tree of the version ``ref`` (typed, or untyped and unambiguous) resolves to."""
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"depth must be between 0 and {MAX_DEPTH}, got {depth!r}")
    root = resolve_typed(session, project, ref, kind=kind)
    project_row = find_project(session, project)
    assert project_row is not None and root.entity_type is not None and root.version is not None
    return _Walker(session, project_row).node((root.entity_type, root.name, root.version), depth, frozenset())


class _Walker:
    def __init__(self, session: Session, project: Project) -> None:
        self.session = session
        self.project = project

    def node(self, key: Key, remaining: int, path: frozenset[Key]) -> LineageNode:
        entity_type, name, version = key
        row = self._version_row(key)
        run = self._producer(key, row)
        parent = _parent_key(key, row)
        node = LineageNode(entity_type=entity_type, name=name, version=version, ref=f"{entity_type}:{name}@{version}",
                           produced_by=RunSummary.model_validate(run) if run is not None else None)
        inputs = self._inputs(run.id) if run is not None else []
        if run is not None:
            node.input_traces, node.input_trace_count = self._traces(run.id)
        if remaining <= 0 or key in path:
            node.truncated = bool(inputs or parent)
            return node
        path = path | {key}
        node.inputs = [self.node(k, remaining - 1, path) for k in inputs]
        if parent is not None:
            node.parent = self.node(parent, remaining - 1, path)
        return node

    def _version_row(self, key: Key) -> Any:
        entity_type, name, version = key
        kind = versioned_kind(entity_type)
        try:
            parent = kind.parent(self.session, self.project, name)
            return kind.version_row(self.session, parent, version)
        except GenLoopError:  # an edge to a version that is gone: show the edge, not its ancestry
            return None

    def _producer(self, key: Key, row: Any) -> RunRow | None:
        """The run that made this version: its ``source_run_id``, else the first run listing it as an output."""
        run_id = getattr(row, "source_run_id", None)
        if run_id:
            run = self.session.get(RunRow, run_id)
            if run is not None and run.project_id == self.project.id:
                return run
        entity_type, name, version = key
        return self.session.scalar(
            select(RunRow)
            .join(RunRefRow, RunRefRow.run_id == RunRow.id)
            .where(RunRow.project_id == self.project.id, RunRefRow.direction == "output",
                   RunRefRow.entity_type == entity_type, RunRefRow.entity_name == name, RunRefRow.version == version)
            .order_by(RunRow.started_at, RunRow.id)
            .limit(1)
        )

    def _traces(self, run_id: str) -> tuple[list[str], int]:
        """The first 100 trace ids a run read, and how many it read."""
        where = (RunRefRow.run_id == run_id, RunRefRow.direction == "input", RunRefRow.entity_type == "trace")
        ids = list(self.session.scalars(select(RunRefRow.entity_name).where(*where).order_by(RunRefRow.id).limit(100)))
        count = len(ids) if len(ids) < 100 else int(self.session.scalar(select(func.count()).where(*where)) or 0)
        return ids, count

    def _inputs(self, run_id: str) -> list[Key]:
        edges = self.session.scalars(
            select(RunRefRow).where(RunRefRow.run_id == run_id, RunRefRow.direction == "input").order_by(RunRefRow.id)
        )
        return [(e.entity_type, e.entity_name, e.version) for e in edges
                if e.version is not None and e.entity_type in ("dataset", "prompt", "model")]


def _parent_key(key: Key, row: Any) -> Key | None:
    entity_type, name, _ = key
    if row is None:
        return None
    if entity_type == "model" and row.base_name and row.base_version:
        return ("model", row.base_name, row.base_version)
    if entity_type == "dataset" and row.parent_version:
        return ("dataset", name, row.parent_version)
    if entity_type == "dataset" and isinstance(row.transform, dict) and isinstance(row.transform.get("source"), str):
        # a transform (split, filter, export of feedback...) names its source version as NAME@N
        source, _, number = row.transform["source"].rpartition("@")
        if source and number.isdigit():
            return ("dataset", source, int(number))
    return None
