"""Human review: rating schemas, annotation queues, ratings, agreement, and exports to dataset versions.

A :class:`RatingSchema <RatingSchemaInfo>` combines questions (numeric, Likert, boolean, categorical,
comment, pairwise, edit-to-correct); a queue pins one schema version, is filled from traces, eval items,
the disagreements of two runs or a dataset version, and asks N ratings per item. Every rating is also
feedback on its trace or eval item. :class:`ReviewService` holds the operations.
"""

from __future__ import annotations

from genloop.review._questions import PAIRWISE_CHOICES, Question, QuestionType
from genloop.review._schemas import (
    ItemInfo,
    QueueCreate,
    QueueInfo,
    QueueProgress,
    RaterProgress,
    RatingInfo,
    RatingSchemaCreate,
    RatingSchemaInfo,
    SubmitResult,
    TraceFilter,
)
from genloop.review._service import ReviewService

__all__ = [
    "PAIRWISE_CHOICES",
    "ItemInfo",
    "Question",
    "QuestionType",
    "QueueCreate",
    "QueueInfo",
    "QueueProgress",
    "RaterProgress",
    "RatingInfo",
    "RatingSchemaCreate",
    "RatingSchemaInfo",
    "ReviewService",
    "SubmitResult",
    "TraceFilter",
]
