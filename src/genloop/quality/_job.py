"""What every quality operation shares: reading a version, writing its output version, run artifacts.

An operation runs inside a ``data`` run whose input is the version it reads. Its output version is
written like an import (streamed, validated for its kind, content-hashed) and committed in one
transaction with ``source_run_id`` and a ``transform`` naming the operation and its source; if anything
fails before the commit, no version exists. The input version is only ever read.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from genloop.datasets import DatasetService, DatasetVersion
from genloop.datasets._commit import Pending, commit_versions
from genloop.datasets._import import import_source
from genloop.datasets._kinds import kind_spec
from genloop.datasets._sources import ArrowSource
from genloop.errors import InvalidInput
from genloop.refs import validate_name
from genloop.runs import ActiveRun, RunService
from genloop.store import Store

__all__ = ["BATCH_ROWS", "Job", "rows_mask_filter"]

BATCH_ROWS = 65_536


class Job:
    """The services of one project, and the plumbing of a quality run."""

    def __init__(self, store: Store, project: str, actor: str) -> None:
        self.store = store
        self.project = project
        self.actor = actor
        self.datasets = DatasetService(store, project, actor)
        self.runs = RunService(store, project, actor)

    def version(self, ref: str) -> DatasetVersion:
        if not isinstance(ref, str) or not ref:
            raise InvalidInput("a dataset reference is required", hint="pass NAME, NAME@3 or NAME@label")
        return self.datasets.get(ref)

    def batches(self, version: DatasetVersion, columns: list[str] | None = None,
                batch_size: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """The version's rows in order, ``batch_size`` at a time."""
        return self.datasets.iter_batches(version.ref, batch_size=batch_size, columns=columns)

    def schema(self, version: DatasetVersion) -> pa.Schema:
        with self.datasets.local_path(version.ref) as path:
            return pq.read_schema(path)

    def run(self, op: str, version: DatasetVersion, params: dict[str, Any],
            extra_inputs: Iterable[str] = ()) -> ActiveRun:
        inputs = [f"dataset:{version.ref}", *extra_inputs]
        return self.runs.run("data", name=f"quality {op}", params={"op": op, **params}, inputs=inputs)

    def write(self, run: ActiveRun, source: DatasetVersion, factory: Callable[[], Iterable[pa.RecordBatch]], *,
              op: str, name: str | None, message: str, transform: dict[str, Any]) -> tuple[DatasetVersion, bool]:
        """Write the batches of ``factory`` as a new version of ``name`` (default the source's) and link it."""
        target = validate_name(name or source.name, "dataset name")
        written = import_source(ArrowSource(factory, f"{op} of {source.ref}"), kind_spec(source.kind),
                                self.store.settings.resolved_home / "tmp" / "datasets")
        pending = Pending(
            name=target, kind=source.kind, written=written, tags=list(source.tags),
            message=message or f"{op} of {source.ref} (run {run.id})", source_run_id=run.id,
            transform={"op": op, "source": source.ref, **transform},
            parent_version=source.version if target == source.name else None,
        )
        version, created = commit_versions(self.store, self.project, self.actor, [pending])[0]
        run.add_output(f"dataset:{version.ref}")
        return version, created

    def artifact(self, run: ActiveRun, name: str, batches: Iterable[pa.RecordBatch | pa.Table]) -> int:
        """Store ``batches`` as a Parquet artifact of the run; returns the rows written (none: no artifact)."""
        directory = self.store.settings.resolved_home / "tmp" / "quality"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{uuid.uuid4().hex}.parquet"
        writer: pq.ParquetWriter | None = None
        rows = 0
        try:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema)
                writer.write_table(table.cast(writer.schema))
                rows += table.num_rows
            if writer is not None:
                writer.close()
                writer = None
                run.log_artifact(name, path)
        finally:
            if writer is not None:
                writer.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return rows

    def tmp_path(self) -> Path:
        directory = self.store.settings.resolved_home / "tmp" / "quality"
        directory.mkdir(parents=True, exist_ok=True)
        return directory / uuid.uuid4().hex


def rows_mask_filter(batches: Iterable[pa.RecordBatch], keep: np.ndarray) -> Iterator[pa.RecordBatch]:
    """The rows of ``batches`` where ``keep`` (one flag per row, in order) is true."""
    start = 0
    for batch in batches:
        part = keep[start:start + batch.num_rows]
        start += batch.num_rows
        if part.all():
            yield batch
        elif part.any():
            yield batch.filter(pa.array(part))
