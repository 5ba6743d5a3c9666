"""Schemas of the review package, shared by the REST API and the SDK."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from genloop.review._questions import Question

__all__ = [
    "Comparison",
    "ExportRequest",
    "ItemInfo",
    "ItemsAdd",
    "ItemsAdded",
    "RatingSubmit",
    "SkipRequest",
    "QueueCreate",
    "QueueInfo",
    "QueueProgress",
    "RaterProgress",
    "RatingInfo",
    "RatingSchemaCreate",
    "RatingSchemaInfo",
    "SubmitResult",
    "TraceFilter",
]

Assignment = Literal["claim", "round_robin"]


class RatingSchemaCreate(BaseModel):
    """A rating schema to create; the same name again with other questions makes its next version."""

    name: str
    questions: list[Question] = Field(min_length=1)
    description: str = ""


class RatingSchemaInfo(RatingSchemaCreate):
    """One stored version of a rating schema."""

    version: int
    ref: str = Field(description="name@version")
    created_at: dt.datetime
    created_by: str = ""


class QueueCreate(BaseModel):
    """An annotation queue to create."""

    name: str
    schema_ref: str = Field(description="Rating schema: NAME (latest version) or NAME@VERSION")
    ratings_per_item: int = Field(default=1, ge=1, le=20, description="Ratings each item needs (N >= 2 for agreement)")
    assignment: Assignment = Field(default="claim", description="claim: next free item; round_robin: items dealt "
                                                                 "to the annotators in turn")
    annotators: list[str] = Field(default_factory=list, description="Who may rate (actor names; an API key "
                                                                      "'alice' acts as 'key:alice'); empty: anyone")
    lock_seconds: int = Field(default=600, ge=5, le=86_400, description="How long a claimed item stays locked")
    description: str = ""


class QueueInfo(BaseModel):
    """An annotation queue with its counts."""

    id: int
    project: str
    name: str
    description: str = ""
    schema_ref: str
    questions: list[Question]
    ratings_per_item: int
    assignment: Assignment
    annotators: list[str]
    lock_seconds: int
    items: int = 0
    done: int = 0
    ratings: int = 0
    created_at: dt.datetime
    created_by: str = ""


class TraceFilter(BaseModel):
    """A saved filter choosing traces for a queue; every condition given must hold."""

    deployment: str | None = None
    variant: str | None = None
    since: dt.datetime | None = Field(default=None, description="Started at or after (inclusive)")
    until: dt.datetime | None = Field(default=None, description="Started before (exclusive)")
    status: str | None = Field(default=None, description="ok, error, blocked ...")
    feedback_name: str | None = Field(default=None, description="With feedback of this name ...")
    feedback_min: float | None = Field(default=None, description="... scored at least this")
    feedback_max: float | None = Field(default=None, description="... scored at most this")
    guardrail_action: str | None = Field(default=None, description="A guardrail finding took this action "
                                                                   "(block, redact, mask, flag ...)")
    judge: str | None = Field(default=None, description="Feedback from source 'judge' of this name ...")
    judge_below: float | None = Field(default=None, description="... scored below this threshold")
    sample_rate: float = Field(default=1.0, gt=0, le=1, description="Keep this share of matches (deterministic "
                                                                     "per trace id and seed)")
    seed: int = 0
    limit: int | None = Field(default=None, ge=1, description="At most this many items")


class ItemInfo(BaseModel):
    """An item as a rater sees it: the content, never the hidden A/B order or other raters' answers."""

    id: int
    queue: str
    position: int
    source: str
    content: dict[str, Any] = Field(description="messages (the conversation), answer, or answer_a/answer_b, "
                                                "reference, and what identifies the source")
    ratings: int
    ratings_needed: int
    done: bool
    locked_by: str | None = None
    locked_until: dt.datetime | None = None
    my_rating: dict[str, Any] | None = Field(default=None, description="The caller's own answers, if rated")
    undone: dict[str, Any] | None = Field(default=None, description="After an undo: the answers taken back, to "
                                                                    "start again from")


class RatingInfo(BaseModel):
    """A stored rating, with the de-randomised pairwise choice where there is one."""

    id: int
    item_id: int
    queue: str
    rater: str
    answers: dict[str, Any]
    schema_version: int
    seconds: float | None = None
    feedback_ids: list[int] = Field(default_factory=list)
    created_at: dt.datetime


class SubmitResult(BaseModel):
    """What a submission stored, and the next item to rate (None when the rater is through the queue)."""

    rating: RatingInfo
    item_done: bool
    next: ItemInfo | None = None


class RaterProgress(BaseModel):
    rater: str
    rated: int
    skipped: int = 0
    seconds_per_item: float | None = None


class QueueProgress(BaseModel):
    """How far a queue is: items, done, ratings, and per rater."""

    queue: str
    items: int
    done: int
    ratings: int
    ratings_needed: int
    locked: int
    raters: list[RaterProgress]
    mine: RaterProgress | None = Field(default=None, description="The caller's own progress")


class Comparison(BaseModel):
    """Two eval runs whose disagreements become pairwise items."""

    run_a: str
    run_b: str
    metric: str | None = Field(default=None, description="Items where this score differs (default: the outputs)")
    seed: int = 0


class ItemsAdd(BaseModel):
    """Where a queue's new items come from: give exactly one source."""

    traces: TraceFilter | None = Field(default=None, description="Traces matching a saved filter")
    run_id: str | None = Field(default=None, description="The items of an eval run ...")
    candidate: str | None = Field(default=None, description="... of this candidate only")
    comparison: Comparison | None = None
    dataset: str | None = Field(default=None, description="The rows of a dataset version (NAME@VERSION)")
    items: list[dict[str, Any]] | None = Field(default=None, description="Given items: messages/inputs, answer "
                                                                         "(or answer_a and answer_b), reference")
    limit: int | None = Field(default=None, ge=1, description="dataset: at most this many rows")


class ItemsAdded(BaseModel):
    queue: str
    added: int
    items: int


class RatingSubmit(BaseModel):
    """A rater's answers, keyed by question name."""

    answers: dict[str, Any]
    next: bool = Field(default=True, description="Also claim and return the next item")


class SkipRequest(BaseModel):
    later: bool = Field(default=False, description="Come back to it after the other items")


class ExportRequest(BaseModel):
    """Export a queue's labels to a new dataset version."""

    kind: Literal["golden", "sft", "preference"]
    name: str = Field(description="Dataset to add the version to")
    message: str = ""
