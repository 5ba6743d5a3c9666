"""JSON Lines: a streaming pyarrow reader for the fast path, a line-by-line pass for precise errors.

The fast path is ``pyarrow.json.open_json`` in large blocks, with explicit types for the kind's known
fields. Its schema comes from the first block; strings that pyarrow would read as timestamps stay
strings (a list of dicts, a CSV or a Parquet file holding the same text must hash the same). When a
later block does not fit (a new field, an int column that turns float), the file is scanned once for
its full schema and read again (``JsonlSource._widen``). Whenever the reader or a rule fails, the
lines are read again with orjson, from the first row not yet accepted, to name the line and field.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.json as pj

from genloop.datasets._kinds import KindSpec, describe_row, json_type_name
from genloop.datasets._sources import UTF8_HINT, Source, utf8_problem
from genloop.errors import InvalidInput

__all__ = ["JsonlSource", "rows_to_jsonl", "strip_temporal"]

BLOCK_SIZE = 8 << 20


class JsonlSource(Source):
    """A JSON Lines file (or the serialised rows of a list of dicts, with ``unit="row"``)."""

    noun = "field"

    def __init__(self, data: Path | bytes, display: str, *, unit: str = "line") -> None:
        self.data = data
        self.display = display
        self.unit = unit
        self._schema: pa.Schema | None = None  # the reader's schema of the current attempt
        self._full_schema: pa.Schema | None = None

    # -- fast path -----------------------------------------------------------------------------

    def _open(self, schema: pa.Schema | None) -> Any:
        source = pa.BufferReader(self.data) if isinstance(self.data, bytes) else str(self.data)
        parse = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
        return pj.open_json(source, read_options=pj.ReadOptions(block_size=BLOCK_SIZE), parse_options=parse)

    def batches(self, spec: KindSpec) -> Iterator[pa.RecordBatch]:
        explicit = self._full_schema or pa.schema(list(spec.explicit_types().items()))
        reader = self._open(explicit)
        fixed = strip_temporal(reader.schema)
        if not fixed.equals(reader.schema):
            reader = self._open(fixed)
        self._schema = reader.schema
        order = self._column_order(reader.schema.names)
        if order == reader.schema.names:
            yield from reader
            return
        for batch in reader:
            yield batch.select(order)

    def _column_order(self, names: list[str]) -> list[str]:
        """The first row's key order, then the other columns (explicit types put the known fields first)."""
        first: list[str] = []
        with self._lines() as f:
            line = next((line for line in f if line.strip()), b"")
        with contextlib.suppress(orjson.JSONDecodeError):
            value = orjson.loads(line)
            first = [k for k in value if k in names] if isinstance(value, dict) else []
        return first + [n for n in names if n not in first]

    def _widen(self) -> bool:
        """Read the whole file's schema, chunk by chunk, for a second attempt; False if it has none."""
        schemas = []
        try:
            for chunk in self._chunks():
                schemas.append(strip_temporal(pj.read_json(pa.BufferReader(chunk)).schema))
            self._full_schema = pa.unify_schemas(schemas, promote_options="permissive") if schemas else None
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return False
        return self._full_schema is not None

    def _chunks(self) -> Iterator[bytes]:
        with self._lines() as f:
            buffer: list[bytes] = []
            size = 0
            for line in f:
                if line.strip():
                    buffer.append(line if line.endswith(b"\n") else line + b"\n")
                    size += len(line)
                if size >= BLOCK_SIZE:
                    yield b"".join(buffer)
                    buffer, size = [], 0
            if buffer:
                yield b"".join(buffer)

    # -- precise errors ------------------------------------------------------------------------

    def _lines(self) -> IO[bytes]:
        return io.BytesIO(self.data) if isinstance(self.data, bytes) else open(self.data, "rb")

    def _rows(self, start: int = 0) -> Iterator[tuple[int, int, bytes]]:
        """(row index, line number, line) of every non-blank line from row ``start`` on."""
        row = 0
        with self._lines() as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                if row >= start:
                    yield row, number, line
                row += 1

    def _where(self, line: int) -> str:
        return f"{self.display} {self.unit} {line}" if self.display else f"{self.unit} {line}"

    def _error(self, line: int, problem: str) -> InvalidInput:
        return InvalidInput(f"{self._where(line)}: {problem}")

    def row_error(self, spec: KindSpec, row: int, batch: pa.RecordBatch, index: int) -> InvalidInput:
        for _, number, line in self._rows(row):
            problem = describe_row(orjson.loads(line), spec, self.noun)
            return self._error(number, problem or f"the row does not fit a {spec.name} dataset")
        return super().row_error(spec, row, batch, index)

    def schema_error(self, spec: KindSpec, problem: str) -> InvalidInput:
        return self.scan(spec, 0, types=True) or InvalidInput(f"{self.display or 'the data'}: {problem}")

    def read_error(self, spec: KindSpec, rows_done: int, exc: Exception, *, retry: bool) -> InvalidInput | None:
        found = self.scan(spec, rows_done, types=True)
        if found is not None:
            return found
        if rows_done == 0 and not any(True for _ in self._rows()):
            return InvalidInput(f"{self.display or 'the data'} has no rows", hint="a dataset needs at least one row")
        if retry and self._full_schema is None and self._widen():
            return None  # a field or type that appears later: read again with the whole file's schema
        return self.scan(spec, 0, types=False) or InvalidInput(f"{self.display or 'the data'}: cannot read: {exc}")

    def scan(self, spec: KindSpec, start: int, *, types: bool) -> InvalidInput | None:
        """The first bad line from row ``start``: invalid JSON, a broken rule, or a type clash.

        With ``types``, values are compared with the reader's schema; without, with the first value
        seen for each field (finds a field that is a number on one line and a string on another).
        """
        schema = self._schema if types else None
        seen: dict[str, tuple[str, int]] = {}
        for _, number, line in self._rows(start):
            text = line.rstrip(b"\r\n")
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                not_text = utf8_problem(text)
                if not_text:
                    return InvalidInput(f"{self._where(number)}: {not_text}", hint=UTF8_HINT)
                where = f"column {exc.pos + 1}" if exc.pos < len(text) else "the end of the line"
                return self._error(number, f"invalid JSON ({exc.msg} at {where})")
            problem = describe_row(value, spec, self.noun)
            if problem:
                return self._error(number, problem)
            clash = _type_clash(value, schema, seen, number, self.unit)
            if clash:
                return self._error(number, clash)
        return None


def _type_clash(row: dict[str, Any], schema: pa.Schema | None, seen: dict[str, tuple[str, int]],
                line: int, unit: str) -> str | None:
    for key, value in row.items():
        if value is None:
            continue
        kind = json_type_name(value)
        if schema is not None:
            index = schema.get_field_index(key)
            if index >= 0 and not _fits(kind, schema.field(index).type):
                return f"field {key!r} is {kind}, but earlier rows hold {schema.field(index).type}"
            continue
        first = seen.setdefault(key, (kind, line))
        if first[0] != kind:
            return f"field {key!r} is {kind}, but {unit} {first[1]} has {first[0]}; a field must keep one type"
    return None


def _fits(kind: str, t: pa.DataType) -> bool:
    if pa.types.is_null(t):
        return True
    if kind == "a string":
        return pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_temporal(t)
    if kind == "a number":
        return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    if kind == "a boolean":
        return pa.types.is_boolean(t)
    if kind == "a list":
        return pa.types.is_list(t) or pa.types.is_large_list(t)
    if kind == "an object":
        return pa.types.is_struct(t) or pa.types.is_map(t)
    return True


def strip_temporal(schema: pa.Schema) -> pa.Schema:
    """``schema`` with dates, times and timestamps (inferred from text) read as strings instead."""
    return pa.schema([pa.field(f.name, _strip(f.type)) for f in schema])


def _strip(t: pa.DataType) -> pa.DataType:
    if pa.types.is_temporal(t):
        return pa.string()
    if pa.types.is_list(t):
        return pa.list_(pa.field(t.value_field.name, _strip(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _strip(f.type)) for f in t])
    return t


def rows_to_jsonl(rows: list[Any]) -> bytes:
    """A list of dicts as JSON Lines, read by the same reader as files (so both give the same types)."""
    out = bytearray()
    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NAIVE_UTC
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise InvalidInput(f"row {i}: expected an object (a dict), got {json_type_name(row)}")
        try:
            out += orjson.dumps(row, option=option)
        except TypeError as exc:
            raise InvalidInput(f"row {i}: cannot be written as JSON: {exc}",
                               hint="use strings, numbers, booleans, lists and dicts with string keys") from exc
        out += b"\n"
    if not out:
        raise InvalidInput("the list of rows is empty", hint="a dataset needs at least one row")
    return bytes(out)
