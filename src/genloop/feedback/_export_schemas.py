"""Schemas of feedback export: the request the REST API takes and the outcome every interface returns."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from genloop.datasets import DatasetVersion

__all__ = ["EXPORT_KINDS", "ExportKind", "FeedbackExport", "FeedbackExportRequest"]

ExportKind = Literal["sft", "preference"]
EXPORT_KINDS: tuple[str, ...] = ("sft", "preference")


class FeedbackExportRequest(BaseModel):
    """Body of ``POST /projects/{project}/feedback/export`` (the arguments of ``FeedbackService.export``)."""

    kind: str = Field(description="sft (corrections become chat examples) or preference (prompt/chosen/rejected)")
    name: str = Field(description="Dataset to add the new version to")
    deployment: str | None = Field(default=None, description="Only feedback on traces of this deployment")
    since: dt.datetime | None = Field(default=None, description="Feedback created at or after (inclusive)")
    until: dt.datetime | None = Field(default=None, description="Feedback created before (exclusive)")
    feedback_name: str | None = Field(default=None, description="Only feedback with this name (thumbs, answer...)")
    like_threshold: float | None = Field(default=None, description="preference: a numeric score >= this is a like")
    dislike_threshold: float | None = Field(default=None,
                                            description="preference: a numeric score <= this is a dislike")
    redact_pii: bool = Field(default=False, description="Redact PII in every exported text (guardrail checks)")
    policy: dict[str, Any] | None = Field(default=None,
                                          description="Guardrail policy whose redact/mask rules redact (implies it)")
    message: str = ""


class FeedbackExport(BaseModel):
    """What an export made: the dataset version, the run that made it, and what happened to the feedback.

    ``considered`` counts the feedback that matched; each one either helped make a row or is counted once
    in ``skipped`` under the first reason it was left out (``no_trace``, ``no_trace_content``,
    ``invalid_correction``, ``same_answer``, ``conflicting``, ``no_pair``, ``duplicate``). ``exported``
    counts rows.
    """

    dataset: DatasetVersion
    created: bool = Field(description="False when the rows equal the dataset's latest version (it is returned)")
    run_id: str = Field(description="The data run that made the version (its lineage reaches the traces)")
    kind: str
    considered: int
    exported: int
    feedback_used: int
    skipped: dict[str, int] = Field(default_factory=dict)
    traces: int = Field(description="Traces whose content is in the exported rows")
    trace_ids_hash: str = Field(description="sha256 over the sorted trace ids, one per line")
    redactions: dict[str, int] = Field(default_factory=dict, description="Redacted spans by category")
