"""Feedback on traces: numeric, boolean or categorical scores, comments and corrected answers.

:meth:`FeedbackService.export` turns corrections and likes/dislikes into new SFT or preference dataset
versions, with the traces in their lineage.
"""

from __future__ import annotations

from typing import Any

from genloop.feedback._schemas import FeedbackCreate, FeedbackInfo, FeedbackKind
from genloop.feedback._service import FeedbackService

__all__ = [
    "EXPORT_KINDS",
    "ExportKind",
    "FeedbackCreate",
    "FeedbackExport",
    "FeedbackExportRequest",
    "FeedbackInfo",
    "FeedbackKind",
    "FeedbackService",
]

_EXPORT_NAMES = frozenset({"EXPORT_KINDS", "ExportKind", "FeedbackExport", "FeedbackExportRequest"})


def __getattr__(name: str) -> Any:
    # The export schemas embed DatasetVersion, and importing datasets loads pyarrow (about a second);
    # tracing, the gateway and the CLI import this package, so those names load on first use.
    if name in _EXPORT_NAMES:
        from genloop.feedback import _export_schemas

        return getattr(_export_schemas, name)
    raise AttributeError(f"module 'genloop.feedback' has no attribute {name!r}")
