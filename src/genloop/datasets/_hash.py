"""Canonical types and the content hash of a dataset version.

Every batch is first cast to canonical types (:func:`canonical_schema`: ``large_string``/``string_view``
to ``string``, large and fixed-size lists to ``list``, dictionaries decoded, integers to ``int64``,
floats to ``float64``), so the same rows read from JSONL, CSV, Parquet, a list of dicts, a pyarrow
table or a Hugging Face dataset are stored with the same types.

:class:`ContentHasher` then hashes the *values*, never the buffers' layout: each leaf of each column
(columns and struct fields visited in name order) feeds its own SHA-256 stream with the positions of
its nulls, the byte lengths and bytes of its strings, the lengths of its lists and the little-endian
bytes of its numbers. Each stream is a pure concatenation over rows, so the result does not depend on
how the data was chunked, sliced or padded. The final ``sha256:`` digest covers a header (format
version, kind, row count, canonical schema) and every stream's digest.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ContentHasher", "canonical_schema", "canonical_type", "type_repr"]

HASH_FORMAT = 1


def canonical_type(t: pa.DataType) -> pa.DataType:
    """The type GenLoop stores for ``t`` (see the module docstring)."""
    if pa.types.is_dictionary(t):
        return canonical_type(t.value_type)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_integer(t):
        return pa.uint64() if t == pa.uint64() else pa.int64()
    if pa.types.is_floating(t):
        return pa.float64()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or _is_list_view(t):
        return pa.list_(canonical_type(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, canonical_type(f.type)) for f in t])
    return t


def _is_list_view(t: pa.DataType) -> bool:
    return bool(getattr(pa.types, "is_list_view", lambda _t: False)(t) or
                getattr(pa.types, "is_large_list_view", lambda _t: False)(t))


def canonical_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with canonical types, nullable fields and no metadata (column order kept)."""
    return pa.schema([pa.field(f.name, canonical_type(f.type)) for f in schema])


def type_repr(t: pa.DataType, *, sort: bool = True) -> str:
    """A stable spelling of a canonical type: list item names dropped, struct fields sorted (unless not
    ``sort``, for display)."""
    if pa.types.is_list(t):
        return f"list<{type_repr(t.value_type, sort=sort)}>"
    if pa.types.is_struct(t):
        fields = sorted(t, key=lambda f: f.name) if sort else list(t)
        return f"struct<{', '.join(f'{f.name}: {type_repr(f.type, sort=sort)}' for f in fields)}>"
    return str(t)


def _fixed_width(t: pa.DataType) -> int:
    if pa.types.is_decimal(t) or pa.types.is_nested(t) or pa.types.is_dictionary(t):
        return 0
    try:
        return int(t.bit_width)
    except ValueError:  # variable width
        return 0


class ContentHasher:
    """Incremental, chunking-independent SHA-256 over canonical batches of one dataset version."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.num_rows = 0
        self._schema: pa.Schema | None = None
        self._streams: dict[str, Any] = {}
        self._counts: dict[str, int] = {}

    def update(self, batch: pa.RecordBatch) -> None:
        """Feed one batch (already cast to :func:`canonical_schema`)."""
        if self._schema is None:
            self._schema = batch.schema
        for name in sorted(batch.schema.names):
            self._feed(orjson.dumps([name]).decode(), batch.column(name))
        self.num_rows += batch.num_rows

    def hexdigest(self) -> str:
        """``sha256:<64 hex digits>``."""
        schema = self._schema or pa.schema([])
        header = {
            "format": HASH_FORMAT,
            "kind": self.kind,
            "num_rows": self.num_rows,
            "columns": sorted([f.name, type_repr(f.type)] for f in schema),
        }
        outer = hashlib.sha256(orjson.dumps(header, option=orjson.OPT_SORT_KEYS))
        for key in sorted(self._streams):
            outer.update(key.encode() + b"\0" + self._streams[key].digest())
        return f"sha256:{outer.hexdigest()}"

    # -- streams -------------------------------------------------------------------------------

    def _stream(self, key: str) -> Any:
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = hashlib.sha256()
        return stream

    def _feed(self, path: str, array: pa.Array) -> None:
        base = self._counts.get(path, 0)
        self._counts[path] = base + len(array)
        if array.null_count:
            nulls = np.flatnonzero(~np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool))
            self._stream(path + "#nulls").update((nulls + base).astype("<i8").tobytes())
        t = array.type
        if pa.types.is_null(t):
            return
        if pa.types.is_string(t) or pa.types.is_binary(t):
            self._feed_binary(path, array)
        elif pa.types.is_list(t):
            lengths = pc.fill_null(pc.list_value_length(array), 0)
            self._stream(path + "#len").update(lengths.to_numpy().astype("<i4").tobytes())
            self._feed(path + "[]", pc.list_flatten(array))
        elif pa.types.is_struct(t):
            children = array.flatten()
            for index in sorted(range(t.num_fields), key=lambda i: t.field(i).name):
                self._feed(f"{path}.{orjson.dumps(t.field(index).name).decode()}", children[index])
        elif pa.types.is_boolean(t):
            values = pc.fill_null(array, False).to_numpy(zero_copy_only=False)
            self._stream(path).update(np.asarray(values, dtype=np.uint8).tobytes())
        elif _fixed_width(t) in (8, 16, 32, 64):
            self._feed_fixed(path, array)
        else:  # rare types (decimals, maps, unions...): their Python values, as JSON
            values = array.to_pylist()
            self._stream(path).update(b"".join(orjson.dumps(v, default=str) + b"\n" for v in values))

    def _feed_binary(self, path: str, array: pa.Array) -> None:
        if array.null_count:
            array = pc.fill_null(array, pa.scalar(b"" if pa.types.is_binary(array.type) else "", array.type))
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=array.offset + len(array) + 1)
        offsets = offsets[array.offset:]
        self._stream(path + "#len").update(np.diff(offsets).astype("<i4").tobytes())
        data = array.buffers()[2]
        if data is not None and len(array):
            self._stream(path).update(memoryview(data)[int(offsets[0]):int(offsets[-1])])

    def _feed_fixed(self, path: str, array: pa.Array) -> None:
        width = array.type.bit_width
        as_int = {8: pa.int8(), 16: pa.int16(), 32: pa.int32(), 64: pa.int64()}[width]
        values = pc.fill_null(array if array.type == as_int else array.view(as_int), 0)
        self._stream(path).update(values.to_numpy().astype(f"<i{width // 8}", copy=False).tobytes())
