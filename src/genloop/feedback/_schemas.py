"""Schemas of the feedback package."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["FeedbackCreate", "FeedbackInfo", "FeedbackKind"]

FeedbackKind = Literal["numeric", "boolean", "categorical", "comment", "correction"]


class FeedbackCreate(BaseModel):
    """What a caller sends: a value (number, true/false or a category) and/or a comment or corrected answer."""

    trace_id: str = Field(description="The trace the feedback is about (x-genloop-trace-id of the response)")
    name: str = Field(default="score", description="What is scored: helpfulness, thumbs, tone ...")
    value: float | bool | str | None = Field(default=None, description="A number, true/false, or a category")
    comment: str | None = None
    correction: Any = Field(default=None, description="The answer it should have given: text or messages")
    source: Literal["human", "api", "rule", "judge"] = "api"
    metadata: dict[str, Any] = Field(default_factory=dict)


class FeedbackInfo(BaseModel):
    """One stored piece of feedback."""

    id: int
    project: str
    trace_id: str | None = Field(default=None, description="The trace; None for feedback on an eval item")
    eval_item_id: int | None = Field(default=None, description="The eval item, for ratings from a review queue")
    name: str
    kind: FeedbackKind
    value: float | bool | str | None = None
    comment: str | None = None
    correction: Any = None
    source: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: dt.datetime
    created_by: str = ""
