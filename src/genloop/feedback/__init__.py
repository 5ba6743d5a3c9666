"""Feedback on traces: numeric, boolean or categorical scores, comments and corrected answers."""

from genloop.feedback._schemas import FeedbackCreate, FeedbackInfo, FeedbackKind
from genloop.feedback._service import FeedbackService

__all__ = ["FeedbackCreate", "FeedbackInfo", "FeedbackKind", "FeedbackService"]
