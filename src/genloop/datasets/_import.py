"""The import pipeline: source batches -> canonical types -> validation -> content hash -> one Parquet file.

Memory stays bounded by the reader's block and one row group (about 64 MiB of Arrow data), whatever the
size of the input: batches stream through :class:`VersionWriter`, which casts each to the canonical
schema, feeds the :class:`ContentHasher` and writes row groups with ``pyarrow.parquet.ParquetWriter`` to
a temporary file. The caller moves that file into the artifact store once the database row is ready.
On any failure the temporary file is deleted and a precise :class:`InvalidInput` is raised.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from genloop.datasets._hash import ContentHasher, canonical_schema, type_repr
from genloop.datasets._kinds import KindSpec
from genloop.datasets._sources import Source
from genloop.datasets._validate import first_bad_row, schema_problem
from genloop.errors import InvalidInput

__all__ = ["VersionWriter", "Written", "import_source"]

ROW_GROUP_BYTES = 64 << 20
ROW_GROUP_ROWS = 1 << 20


@dataclass
class Written:
    """A finished temporary Parquet file and what the version row records about it."""

    path: Path
    content_hash: str
    num_rows: int
    size_bytes: int
    columns: list[dict[str, str]] = field(default_factory=list)


class VersionWriter:
    """Writes canonical batches of one kind to a Parquet file while hashing their content."""

    def __init__(self, directory: Path, kind: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"import-{uuid.uuid4().hex}.parquet"
        self.hasher = ContentHasher(kind)
        self.schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.RecordBatch] = []
        self._pending_bytes = 0
        self._pending_rows = 0

    def normalize(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """``batch`` cast to the canonical schema (the first batch's, for every later one)."""
        target = self.schema if self.schema is not None else canonical_schema(batch.schema)
        return batch if batch.schema.equals(target) else batch.cast(target)

    def write(self, batch: pa.RecordBatch) -> None:
        """Hash and buffer one normalised batch; a row group is written when enough has gathered."""
        if self.schema is None:
            self.schema = batch.schema
            self._writer = pq.ParquetWriter(self.path, self.schema)
        self.hasher.update(batch)
        self._pending.append(batch)
        self._pending_bytes += batch.nbytes
        self._pending_rows += batch.num_rows
        if self._pending_bytes >= ROW_GROUP_BYTES or self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._writer is not None:
            table = pa.Table.from_batches(self._pending, schema=self.schema)
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self._pending, self._pending_bytes, self._pending_rows = [], 0, 0

    def close(self) -> Written:
        """Finish the file; return its hash and statistics."""
        self._flush()
        if self._writer is not None:
            self._writer.close()
        schema = self.schema or pa.schema([])
        return Written(
            path=self.path,
            content_hash=self.hasher.hexdigest(),
            num_rows=self.hasher.num_rows,
            size_bytes=os.path.getsize(self.path),
            columns=[{"name": f.name, "type": type_repr(f.type, sort=False)} for f in schema],
        )

    def abort(self) -> None:
        """Drop the partial file."""
        with contextlib.suppress(Exception):
            if self._writer is not None:
                self._writer.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def import_source(source: Source, spec: KindSpec, directory: Path) -> Written:
    """Validate and write every row of ``source`` as ``spec``; raise a precise ``InvalidInput`` on bad data."""
    for attempt in (1, 2):
        writer = VersionWriter(directory, spec.name)
        rows = 0
        try:
            for batch in source.batches(spec):
                if batch.num_rows == 0 and writer.schema is not None:
                    continue
                batch = writer.normalize(batch)
                batch.validate(full=True)  # strings must be UTF-8: a version that cannot be read back is refused
                if writer.schema is None:
                    problem = schema_problem(batch.schema, spec, source.noun)
                    if problem:
                        raise source.schema_error(spec, problem)
                bad = first_bad_row(batch, spec)
                if bad is not None:
                    raise source.row_error(spec, rows + bad, batch, bad)
                writer.write(batch)
                rows += batch.num_rows
            if rows == 0:
                raise InvalidInput(f"{source.display or 'the data'} has no rows", hint="a dataset needs at least one row")
            return writer.close()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            writer.abort()
            error = source.read_error(spec, rows, exc, retry=attempt == 1)
            if error is None:
                continue
            raise error from exc
        except BaseException:
            writer.abort()
            raise
    raise AssertionError("unreachable")
