"""CSV: a streaming pyarrow reader for the fast path, Python's csv module for precise errors.

Text fields of the kind are read as strings (an empty cell is an empty string, which the text rules
reject); other columns keep pyarrow's inference, except that dates and times stay text. When a later
block does not fit the types inferred from the first (a number column that holds a word on row 90,000),
the file is read again with every column as text. Errors name the row and the line, which differ when
a quoted value spans lines: "data.csv row 5 (line 6): column 'completion' is missing; ...".
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

from genloop.datasets._jsonl import strip_temporal
from genloop.datasets._kinds import KindSpec, describe_row
from genloop.datasets._sources import UTF8_HINT, Source, utf8_problem
from genloop.errors import InvalidInput

__all__ = ["CsvSource"]

BLOCK_SIZE = 8 << 20
_NESTED_HINT = "CSV cannot hold lists of messages; use JSON Lines or Parquet for chat and message data"


class CsvSource(Source):
    """A CSV file with a header line."""

    noun = "column"

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self._all_text = False

    def _open(self, types: dict[str, pa.DataType]) -> Any:
        return pcsv.open_csv(
            str(self.path),
            read_options=pcsv.ReadOptions(block_size=BLOCK_SIZE),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types=types),
        )

    def batches(self, spec: KindSpec) -> Iterator[pa.RecordBatch]:
        types = {name: t for name, t in spec.explicit_types().items() if pa.types.is_string(t)}
        reader = self._open(types)
        inferred = reader.schema
        if self._all_text:
            types = {name: pa.string() for name in inferred.names}
        else:  # dates and times stay text, as in JSON Lines
            types.update({f.name: f.type for f in strip_temporal(inferred) if not f.type.equals(inferred.field(f.name).type)})
        if any(name in inferred.names and not inferred.field(name).type.equals(t) for name, t in types.items()):
            reader = self._open(types)
        if any(pa.types.is_binary(f.type) for f in reader.schema):  # pyarrow's answer to cells that are not UTF-8
            raise pa.ArrowInvalid("the CSV is not valid UTF-8")
        yield from reader

    # -- precise errors ------------------------------------------------------------------------

    def schema_error(self, spec: KindSpec, problem: str) -> InvalidInput:
        return self.scan(spec, 0) or InvalidInput(f"{self.display}: {problem}")

    def row_error(self, spec: KindSpec, row: int, batch: pa.RecordBatch, index: int) -> InvalidInput:
        return self.scan(spec, row) or super().row_error(spec, row, batch, index)

    def read_error(self, spec: KindSpec, rows_done: int, exc: Exception, *, retry: bool) -> InvalidInput | None:
        found = self.scan(spec, rows_done)
        if found is not None:
            return found
        if retry and not self._all_text and "conversion error" in str(exc).lower():
            self._all_text = True
            return None
        if "empty" in str(exc).lower():
            return InvalidInput(f"{self.display} is empty", hint="a CSV dataset needs a header line and rows")
        return InvalidInput(f"{self.display}: cannot read the CSV: {exc}")

    def scan(self, spec: KindSpec, start: int) -> InvalidInput | None:
        """The first bad row from row ``start`` (0-based): a short or long row, or a broken rule."""
        try:
            with open(self.path, newline="", encoding="utf-8-sig") as f:
                return self._scan(csv.reader(f), spec, start)
        except UnicodeDecodeError:
            return self._utf8_error()

    def _utf8_error(self) -> InvalidInput:
        """The first line that is not UTF-8 (read as bytes, so the line number is the file's)."""
        with open(self.path, "rb") as f:
            for number, line in enumerate(f, start=1):
                problem = utf8_problem(line)
                if problem:
                    return InvalidInput(f"{self.display} line {number}: {problem}", hint=UTF8_HINT)
        return InvalidInput(f"{self.display} is not valid UTF-8 text", hint=UTF8_HINT)

    def _scan(self, reader: Any, spec: KindSpec, start: int) -> InvalidInput | None:
        header = next(reader, None)
        if header is None:
            return InvalidInput(f"{self.display} is empty", hint="a CSV dataset needs a header line and rows")
        columns = ", ".join(header)
        for name in spec.required:
            if name not in header:
                return InvalidInput(
                    f"{self.display} line 1 (header): column {name!r} is missing; the file has columns: {columns}",
                    hint=f"a {spec.name} dataset needs: {spec.needs()}")
        row, last_line = 0, reader.line_num
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                return InvalidInput(f"{self.display} row {row + 1} (line {last_line + 1}): malformed CSV: {exc}")
            if cells is None:
                return None
            line, last_line = last_line + 1, reader.line_num
            if not cells:
                continue
            if row >= start:
                problem = _cells_problem(cells, header) or describe_row(dict(zip(header, cells, strict=True)), spec, self.noun)
                if problem:
                    hint = _NESTED_HINT if "list of {role, content}" in problem else None
                    return InvalidInput(f"{self.display} row {row + 1} (line {line}): {problem}", hint=hint)
            row += 1


def _cells_problem(cells: list[str], header: list[str]) -> str | None:
    if len(cells) < len(header):
        return f"column {header[len(cells)]!r} is missing; the file has columns: {', '.join(header)}"
    if len(cells) > len(header):
        return f"the row has {len(cells)} cells but the header has {len(header)} columns ({', '.join(header)})"
    return None
