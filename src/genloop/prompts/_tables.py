"""Tables of the prompts package: a named prompt per project and its immutable versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow


class PromptRow(Base):
    __tablename__ = "prompts"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class PromptVersionRow(Base):
    """One immutable prompt version; ``content_hash`` makes identical content return the same version."""

    __tablename__ = "prompt_versions"
    __table_args__ = (UniqueConstraint("prompt_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    template_type: Mapped[str] = mapped_column(String(16))  # "chat" | "text"
    messages: Mapped[Any] = mapped_column(JSONType, nullable=True)
    template: Mapped[str | None] = mapped_column(String, nullable=True)
    variables: Mapped[Any] = mapped_column(JSONType, default=list)
    model: Mapped[str | None] = mapped_column(String(256), nullable=True)
    params: Mapped[Any] = mapped_column(JSONType, default=dict)
    response_schema: Mapped[Any] = mapped_column(JSONType, nullable=True)
    message: Mapped[str] = mapped_column(String, default="")
    content_hash: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    #: Set by ``genloop prompts retire`` (governance): a retired version cannot enter a new deployment version.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retired_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
