"""Export a stored version as JSON Lines, CSV or Parquet, as a stream of byte chunks.

The same generator serves ``DatasetService.export`` (written to a file) and the REST download (a
streaming response), so memory stays bounded by one batch. In CSV, nested columns (message lists,
objects) are written as JSON text, since CSV cells hold only text.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from genloop.datasets._schemas import EXPORT_FORMATS
from genloop.errors import Hint, InvalidInput

__all__ = ["MEDIA_TYPES", "export_chunks", "export_format", "json_default", "jsonable_rows"]

MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8",
               "parquet": "application/vnd.apache.parquet"}
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet",
             ".pq": "parquet"}
CHUNK = 1 << 20
BATCH_ROWS = 4096


def export_format(path: str | Path | None, format: str | None) -> str:
    """The export format: the one given, else from the file extension, else JSON Lines."""
    if format is not None:
        if format not in EXPORT_FORMATS:
            raise InvalidInput(f"unknown export format {format!r}", hint=f"use one of: {', '.join(EXPORT_FORMATS)}")
        return format
    if path is not None:
        suffix = Path(path).suffix.lower()
        if suffix in _SUFFIXES:
            return _SUFFIXES[suffix]
        if suffix:
            raise InvalidInput(f"cannot tell the export format from {Path(path).name!r}",
                               hint=Hint(cli=f"pass --format ({', '.join(EXPORT_FORMATS)})",
                                         sdk=f"pass format= ({', '.join(EXPORT_FORMATS)})"))
    return "jsonl"


def json_default(value: Any) -> Any:
    """orjson fallback: bytes as base64 text, anything else (decimals) as its string."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return str(value)


def jsonable_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as plain JSON values (timestamps as ISO text), as they arrive over REST."""
    return orjson.loads(orjson.dumps(rows, default=json_default))  # type: ignore[no-any-return]


def export_chunks(file: IO[bytes], format: str) -> Iterator[bytes]:
    """The Parquet file ``file`` (open, binary) converted to ``format``, in chunks of about 1 MiB."""
    if format == "parquet":
        while chunk := file.read(CHUNK):
            yield chunk
        return
    parquet = pq.ParquetFile(file)
    if format == "jsonl":
        yield from _jsonl(parquet)
    else:
        yield from _csv(parquet)


def _jsonl(parquet: pq.ParquetFile) -> Iterator[bytes]:
    buffer = bytearray()
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        for row in batch.to_pylist():
            buffer += orjson.dumps(row, default=json_default)
            buffer += b"\n"
        if len(buffer) >= CHUNK:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def _csv(parquet: pq.ParquetFile) -> Iterator[bytes]:
    header = True
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        out = io.BytesIO()
        pcsv.write_csv(_flat_for_csv(batch), out, write_options=pcsv.WriteOptions(include_header=header))
        header = False
        yield out.getvalue()
    if header:  # no batches at all: still write the header
        out = io.BytesIO()
        empty = pa.RecordBatch.from_pylist([], schema=parquet.schema_arrow)
        pcsv.write_csv(_flat_for_csv(empty), out)
        yield out.getvalue()


def _flat_for_csv(batch: pa.RecordBatch) -> pa.RecordBatch:
    columns, fields = [], []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_nested(field.type) or pa.types.is_binary(field.type):
            text = [None if v is None else orjson.dumps(v, default=json_default).decode() for v in column.to_pylist()]
            column, field = pa.array(text, pa.string()), pa.field(field.name, pa.string())
        columns.append(column)
        fields.append(field)
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))
