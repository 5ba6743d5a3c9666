"""Datasets: immutable, content-addressed Parquet versions of chat, completion, preference and eval data.

Create a version from JSON Lines, CSV, Parquet, a list of dicts, a pyarrow table or a Hugging Face
dataset; each kind is validated row by row with errors that name the file, line and field. A version's
identity is a ``sha256:`` hash of its canonical content, so importing the same rows again returns the
existing version. Versions can be read, streamed, exported, split (seeded), tagged and labelled.
"""

from genloop.datasets._kinds import ROLES
from genloop.datasets._schemas import (
    DATASET_KINDS,
    EXPORT_FORMATS,
    ColumnInfo,
    DatasetInfo,
    DatasetKind,
    DatasetVersion,
    ExportFormat,
    SplitRequest,
    SplitResult,
    TagRequest,
)
from genloop.datasets._service import DatasetService
from genloop.datasets._tags import COMMON_TAGS

__all__ = [
    "COMMON_TAGS",
    "DATASET_KINDS",
    "EXPORT_FORMATS",
    "ROLES",
    "ColumnInfo",
    "DatasetInfo",
    "DatasetKind",
    "DatasetService",
    "DatasetVersion",
    "ExportFormat",
    "SplitRequest",
    "SplitResult",
    "TagRequest",
]
