"""Turning written Parquet files into version rows, atomically: no partial version, no orphan artifact.

:func:`commit_versions` adds one or more versions in one database transaction. Inside it, once a
version row is flushed, its file is moved into the artifact store under
``datasets/<project>/<name>/<version>-<hash12>.parquet``; if the transaction then fails, the moved
files are deleted again. A version identical to its dataset's latest is not added (the existing row
is returned, and the new file dropped). Temporary files are removed in every case.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from genloop.datasets._import import Written
from genloop.datasets._schemas import DatasetVersion
from genloop.datasets._tables import DatasetRow, DatasetVersionRow
from genloop.datasets._views import to_schema
from genloop.store import Store
from genloop.store._versioned import VersionedKind

__all__ = ["DATASETS", "Pending", "artifact_key", "commit_versions"]

DATASETS: VersionedKind[DatasetRow, DatasetVersionRow] = VersionedKind(
    "dataset", DatasetRow, DatasetVersionRow, "dataset_id"
)


@dataclass
class Pending:
    """A version waiting for its row: the written file and the metadata to record."""

    name: str
    kind: str
    written: Written
    message: str = ""
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    parent_version: int | None = None
    transform: dict[str, Any] | None = None
    source_run_id: str | None = None
    key: str | None = None  # where the file sits in the artifact store, once moved


def artifact_key(project: str, name: str, version: int, content_hash: str) -> str:
    """``datasets/<project>/<name>/<version>-<hash12>.parquet`` (names are validated, so the key is safe)."""
    digest = content_hash.split(":", 1)[-1][:12]
    return f"datasets/{project}/{name}/{version}-{digest}.parquet"


def commit_versions(store: Store, project: str, actor: str,
                    pending: list[Pending]) -> list[tuple[DatasetVersion, bool]]:
    """Add every pending version in one transaction; return each ``(version, created)``."""

    def place(item: Pending, key: str) -> None:
        if item.key == key:
            return
        if item.key is None:
            store.artifacts.move_in(item.written.path, key)
        else:  # a retried transaction picked another version number
            store.artifacts.fs.mv(store.artifacts.path(item.key), store.artifacts.path(key))
        item.key = key

    def write(session: Session) -> list[tuple[DatasetVersion, bool]]:
        results = []
        for item in pending:
            row, created = DATASETS.create_version(
                session, project_name=project, name=item.name, actor=actor,
                content_hash=item.written.content_hash, build=_builder(project, actor, item),
                description=item.description,
            )
            if created:
                place(item, row.artifact_key)
            results.append((row, created))
        return [(to_schema(session, project, item.name, row), created)
                for item, (row, created) in zip(pending, results, strict=True)]

    try:
        outcome = store.db.write(write)
    except BaseException:
        for item in pending:
            if item.key is not None:
                store.artifacts.delete(item.key)
        raise
    finally:
        for item in pending:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(item.written.path)
    for item, (_, created) in zip(pending, outcome, strict=True):
        if not created and item.key is not None:  # an earlier try moved it, the last found it identical
            store.artifacts.delete(item.key)
    store.cache.invalidate("dataset", project)
    return outcome


def _builder(project: str, actor: str, item: Pending) -> Any:
    def build(parent: DatasetRow, number: int) -> DatasetVersionRow:
        written = item.written
        return DatasetVersionRow(
            dataset_id=parent.id, version=number, kind=item.kind, content_hash=written.content_hash,
            num_rows=written.num_rows, size_bytes=written.size_bytes, columns=written.columns,
            artifact_key=artifact_key(project, item.name, number, written.content_hash),
            parent_version=item.parent_version, transform=item.transform, tags=list(item.tags),
            message=item.message or "", source_run_id=item.source_run_id, created_by=actor,
        )

    return build
