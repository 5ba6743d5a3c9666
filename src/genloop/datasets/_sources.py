"""Where rows come from: files, lists of dicts, pyarrow tables and Hugging Face datasets, as record batches.

:func:`open_source` turns what the caller passed into a :class:`Source`. A source yields record batches
(``batches``) and, when the import fails, explains the failure precisely (``row_error``, ``schema_error``,
``read_error``): the file name, the line or row, the field and what would be valid. JSON Lines and CSV
live in ``_jsonl.py`` and ``_csv.py``; Parquet, pyarrow tables and Hugging Face datasets are Arrow
already and are read here.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from genloop.datasets._kinds import KindSpec, describe_row
from genloop.errors import Hint, InvalidInput, MissingDependency

__all__ = [
    "FILE_FORMATS", "ArrowSource", "Source", "as_table", "detect_format", "existing_path", "format_from_name",
    "hf_batches",
    "is_hf_dataset", "load_from_disk", "open_source", "utf8_problem",
]

FILE_FORMATS: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
                                ".parquet": "parquet", ".pq": "parquet"}
BATCH_ROWS = 65_536


class Source(ABC):
    """Rows to import, and the words that explain what is wrong with them."""

    display: str = "data"
    noun: str = "column"

    @abstractmethod
    def batches(self, spec: KindSpec) -> Iterator[pa.RecordBatch]:
        """The rows as record batches; may raise ``pyarrow.ArrowInvalid`` on malformed input."""

    def schema_error(self, spec: KindSpec, problem: str) -> InvalidInput:
        """The columns cannot hold ``spec`` (a missing column, a wrong type)."""
        return InvalidInput(f"{self.display}: {problem}")

    def row_error(self, spec: KindSpec, row: int, batch: pa.RecordBatch, index: int) -> InvalidInput:
        """Row ``row`` (0-based over the whole source; ``batch[index]``) breaks a rule of ``spec``."""
        value = batch.slice(index, 1).to_pylist()[0]
        problem = describe_row(value, spec, self.noun) or f"the row does not fit a {spec.name} dataset"
        return InvalidInput(f"{self.display} row {row + 1}: {problem}")

    def read_error(self, spec: KindSpec, rows_done: int, exc: Exception, *, retry: bool) -> InvalidInput | None:
        """Explain a reader failure after ``rows_done`` good rows; None when a second, more tolerant
        attempt has been prepared (only offered when ``retry``)."""
        return InvalidInput(f"{self.display}: cannot read the data: {exc}")


def utf8_problem(line: bytes) -> str | None:
    """What makes one line of a text file not UTF-8 (the byte and its column), or None when it is UTF-8."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 text (byte {line[exc.start]:#04x} at column {exc.start + 1})"
    return None


UTF8_HINT = "save the file as UTF-8 (for example: iconv -f latin1 -t utf-8 old.csv > new.csv)"


class ArrowSource(Source):
    """Batches that are Arrow already: a Parquet file, a pyarrow table, a Hugging Face dataset."""

    def __init__(self, factory: Callable[[], Iterable[pa.RecordBatch]], display: str) -> None:
        self._factory = factory
        self.display = display

    def batches(self, spec: KindSpec) -> Iterator[pa.RecordBatch]:
        yield from self._factory()

    def read_error(self, spec: KindSpec, rows_done: int, exc: Exception, *, retry: bool) -> InvalidInput | None:
        if "Invalid UTF8" in str(exc):  # a Parquet file or table whose string column holds bytes that are not text
            return InvalidInput(f"{self.display}: a string column holds bytes that are not valid UTF-8 (in the rows "
                                f"from {rows_done + 1} on: {exc})", hint="write the strings as UTF-8, or the column "
                                "as binary")
        return super().read_error(spec, rows_done, exc, retry=retry)


def detect_format(path: Path, format: str | None) -> str:
    """The format of ``path``: the one given, else from the extension; a folder is a Hugging Face dataset."""
    if format is not None:
        if format not in ("jsonl", "csv", "parquet", "hf", "rows"):
            raise InvalidInput(f"unknown file format {format!r}", hint="use jsonl, csv or parquet")
        return format
    if path.is_dir():
        return "hf"
    return format_from_name(path.name)


def format_from_name(name: str) -> str:
    """The format a file name's extension says (jsonl, csv or parquet), without touching the filesystem."""
    found = FILE_FORMATS.get(Path(name).suffix.lower())
    if found is None:
        raise InvalidInput(f"cannot tell the format of {Path(name).name!r} from its extension",
                           hint=Hint(cli="name it .jsonl, .csv or .parquet, or pass --format jsonl, csv or parquet",
                                     sdk="name it .jsonl, .csv or .parquet, or pass format='jsonl', 'csv' or 'parquet'",
                                     rest='name the upload .jsonl, .csv or .parquet, or send "format"'))
    return found


def open_source(data: Any, *, format: str | None = None, display: str | None = None) -> Source:
    """A :class:`Source` for a path, a list of dicts, a pyarrow table or a Hugging Face dataset.

    ``display`` names the data in messages (default: the file's base name). ``format`` is jsonl, csv,
    parquet or hf (a ``save_to_disk`` folder), default from the path; ``rows`` is JSON Lines serialised
    from a list of dicts (how the remote client sends one), so messages say "row N", not "line N".
    """
    from genloop.datasets._csv import CsvSource
    from genloop.datasets._jsonl import JsonlSource, rows_to_jsonl

    if isinstance(data, (str, os.PathLike)):
        path = existing_path(data)
        fmt = detect_format(path, format)
        name = display or path.name
        if fmt in ("jsonl", "rows"):
            if fmt == "rows":
                return JsonlSource(path, display or "", unit="row")
            return JsonlSource(path, name)
        if fmt == "csv":
            return CsvSource(path, name)
        if fmt == "parquet":
            return ArrowSource(_parquet_factory(path, name), name)
        return ArrowSource(lambda: hf_batches(load_from_disk(path)), name)
    if isinstance(data, list):
        return JsonlSource(rows_to_jsonl(data), display or "", unit="row")
    table = as_table(data)
    if table is not None:
        return ArrowSource(lambda: table.to_batches(max_chunksize=BATCH_ROWS), display or "table")
    return ArrowSource(lambda: hf_batches(data), display or "dataset")


def existing_path(data: str | os.PathLike[str]) -> Path:
    """``data`` as a path that exists, else a clear :class:`InvalidInput`."""
    path = Path(data).expanduser()
    if not path.exists():
        raise InvalidInput(f"file {str(data)!r} does not exist", hint="check the path")
    return path


def as_table(data: Any) -> pa.Table | None:
    """A pyarrow table for a table or record batch; None for a Hugging Face dataset; else InvalidInput."""
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return data
    if is_hf_dataset(data):
        return None
    if type(data).__name__ in ("DatasetDict", "IterableDatasetDict"):
        splits = ", ".join(map(str, data))
        raise InvalidInput(f"got a DatasetDict with splits {splits}; pass one split", hint="e.g. data['train']")
    raise InvalidInput(
        f"cannot import {type(data).__name__} as a dataset",
        hint="pass a path (.jsonl, .csv, .parquet, or a save_to_disk folder), a list of dicts, "
             "a pyarrow.Table or a datasets.Dataset",
    )


def _parquet_factory(path: Path, display: str) -> Callable[[], Iterator[pa.RecordBatch]]:
    def batches() -> Iterator[pa.RecordBatch]:
        import pyarrow.parquet as pq

        try:
            file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(f"{display} is not a readable Parquet file: {exc}",
                               hint=Hint(cli="check the file, or pass --format if it is not Parquet",
                                         sdk="check the file, or pass format= if it is not Parquet")) from exc
        with file:
            yield from file.iter_batches(batch_size=BATCH_ROWS)

    return batches


def is_hf_dataset(data: Any) -> bool:
    """True for a Hugging Face ``datasets.Dataset`` (checked without importing ``datasets``)."""
    return type(data).__module__.split(".")[0] == "datasets" and type(data).__name__ == "Dataset"


def hf_batches(dataset: Any) -> Iterator[pa.RecordBatch]:
    """The Arrow batches of a Hugging Face dataset, honouring its index mapping (after select or shuffle)."""
    for table in dataset.with_format("arrow").iter(batch_size=BATCH_ROWS):
        yield from table.to_batches()


def load_from_disk(path: Path) -> Any:
    """A Hugging Face dataset saved with ``save_to_disk`` (needs the ``hf`` extra)."""
    try:
        import datasets
    except ImportError as exc:
        raise MissingDependency.for_extra("datasets", "hf") from exc
    try:
        loaded = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise InvalidInput(f"folder {path.name!r} is not a dataset saved with save_to_disk: {exc}",
                           hint="pass a .jsonl, .csv or .parquet file, or a save_to_disk folder") from exc
    if not is_hf_dataset(loaded):
        splits = ", ".join(map(str, loaded))
        raise InvalidInput(f"folder {path.name!r} holds a DatasetDict with splits {splits}; pass one split",
                           hint=f"e.g. {path.name}/{next(iter(loaded), 'train')}")
    return loaded
