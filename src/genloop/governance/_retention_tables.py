"""Table of the retention settings: how many days a project keeps its traces and its feedback."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, UTCDateTime, utcnow


class RetentionRow(Base):
    """One row per project that set a retention; ``None`` days means kept forever."""

    __tablename__ = "governance_retention"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    traces_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    feedback_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128), default="")
