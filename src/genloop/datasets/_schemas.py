"""Schemas of the datasets package: what :class:`DatasetService` returns and the REST API sends."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "DATASET_KINDS",
    "EXPORT_FORMATS",
    "ColumnInfo",
    "DatasetInfo",
    "DatasetKind",
    "DatasetVersion",
    "ExportFormat",
    "SplitRequest",
    "SplitResult",
    "TagRequest",
]

DatasetKind = Literal["chat", "completion", "preference", "eval", "generic"]
ExportFormat = Literal["jsonl", "csv", "parquet"]

DATASET_KINDS: tuple[str, ...] = ("chat", "completion", "preference", "eval", "generic")
EXPORT_FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")


class ColumnInfo(BaseModel):
    """One column of a version: its name and Arrow type (``string``, ``list<struct<...>>``)."""

    name: str
    type: str


class DatasetVersion(BaseModel):
    """One immutable dataset version: a Parquet artifact named by the hash of its canonical content."""

    name: str
    version: int
    kind: str
    content_hash: str = Field(description="sha256:... over the kind, the schema and the rows, in order")
    num_rows: int
    size_bytes: int = Field(description="Size of the stored Parquet file")
    columns: list[ColumnInfo] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list, description="Labels that point at this version")
    message: str = ""
    parent: str | None = Field(default=None, description="NAME@N of the version this one was derived from")
    parent_version: int | None = None
    transform: dict[str, Any] | None = Field(default=None, description='How it was derived, e.g. {"op": "split"}')
    source_run_id: str | None = None
    created_at: dt.datetime
    created_by: str = ""

    @property
    def ref(self) -> str:
        """The concrete reference ``NAME@N``."""
        return f"{self.name}@{self.version}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def require_columns(self, columns: list[str] | None) -> None:
        """Raise :class:`~genloop.errors.InvalidInput` naming the first of ``columns`` this version lacks."""
        from genloop.errors import InvalidInput

        missing = [c for c in columns or [] if c not in self.column_names]
        if missing:
            raise InvalidInput(f"dataset {self.ref} has no column {missing[0]!r}",
                               hint=f"its columns are: {', '.join(self.column_names)}")


class DatasetInfo(BaseModel):
    """One dataset in a listing, summarised by its latest version."""

    name: str
    description: str = ""
    latest_version: int | None = None
    num_versions: int = 0
    kind: str | None = None
    num_rows: int | None = None
    content_hash: str | None = None
    labels: dict[str, int] = Field(default_factory=dict)
    created_at: dt.datetime
    created_by: str = ""
    updated_at: dt.datetime | None = Field(default=None, description="When the latest version was created")


class SplitResult(BaseModel):
    """The two versions a split created (or found identical and returned)."""

    train: DatasetVersion
    test: DatasetVersion


class SplitRequest(BaseModel):
    """Body of ``POST .../datasets/{ref}/split``."""

    test_size: int | float = Field(default=0.2, description="A fraction in (0, 1), or a row count (>= 1)")
    seed: int = 42
    stratify: str | None = Field(default=None, description="Keep this column's class proportions in both parts")
    train_name: str | None = None
    test_name: str | None = None
    message: str = ""


class TagRequest(BaseModel):
    """Body of ``POST .../datasets/{ref}/tags``."""

    tag: str
