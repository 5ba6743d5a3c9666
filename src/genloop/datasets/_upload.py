"""What the remote client sends for each kind of ``data``, so a server import behaves like a local one.

Files go as they are (streamed from disk). A list of dicts goes as JSON Lines in the ``rows`` format
(errors then say "row N", as in-process). Arrow data (a pyarrow table, a Hugging Face dataset or a
``save_to_disk`` folder) goes as a temporary Parquet file. The checks that run before anything is sent
are the in-process ones, so a missing file or an unsupported object fails with the same message.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from genloop.datasets._jsonl import rows_to_jsonl
from genloop.datasets._sources import as_table, detect_format, existing_path, hf_batches, load_from_disk

__all__ = ["Upload", "upload_for"]


@dataclass(frozen=True)
class Upload:
    """One file part: its content (a path to stream, or bytes), name, format and display name."""

    content: Path | bytes
    filename: str
    format: str
    display: str


@contextlib.contextmanager
def upload_for(data: Any, *, format: str | None = None, display: str | None = None) -> Iterator[Upload]:
    """The :class:`Upload` for ``data``; temporary files are removed when the block ends."""
    if isinstance(data, (str, os.PathLike)):
        path = existing_path(data)
        fmt = detect_format(path, format)
        if fmt != "hf":
            yield Upload(path, path.name, fmt, (display or "") if fmt == "rows" else (display or path.name))
            return
        with _parquet_of(hf_batches(load_from_disk(path))) as tmp:
            yield Upload(tmp, f"{path.name}.parquet", "parquet", display or path.name)
        return
    if isinstance(data, list):
        yield Upload(rows_to_jsonl(data), "rows.jsonl", "rows", display or "")
        return
    table = as_table(data)
    batches = table.to_batches() if table is not None else hf_batches(data)
    with _parquet_of(batches, table.schema if table is not None else None) as tmp:
        yield Upload(tmp, "data.parquet", "parquet", display or ("table" if table is not None else "dataset"))


@contextlib.contextmanager
def _parquet_of(batches: Iterable[pa.RecordBatch], schema: pa.Schema | None = None) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="genloop-upload-") as tmp:
        path = Path(tmp) / "data.parquet"
        writer = None
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(path, batch.schema)
            writer.write_batch(batch)
        if writer is None:
            pq.write_table(pa.table({}) if schema is None else schema.empty_table(), path)
        else:
            writer.close()
        yield path
