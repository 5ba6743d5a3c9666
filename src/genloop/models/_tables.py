"""Tables of the models package: a named model per project and its immutable versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow


class ModelRow(Base):
    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


def model_content_hash(kind: str, uri: str, base: str | None, config: Any) -> str:
    """Identity of a registration: kind, URI, base (``NAME@N``) and config, as ``sha256:<hex>``."""
    canonical = json.dumps({"kind": kind, "uri": uri, "base": base, "config": config or {}},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class ModelVersionRow(Base):
    """One immutable model version. Only ``status`` changes afterwards, and each change is audited."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # provider | checkpoint | adapter | merged | quantized
    uri: Mapped[str] = mapped_column(String(1024))
    base_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    base_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    config: Mapped[Any] = mapped_column(JSONType, default=dict)  # base_url, parameters, quantization...
    metadata_: Mapped[Any] = mapped_column("metadata", JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    description: Mapped[str] = mapped_column(String, default="")
    source_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")

    @property
    def content_hash(self) -> str:
        """Recomputed from the row (not a column), so ``VersionedKind`` can dedupe identical registrations."""
        base = f"{self.base_name}@{self.base_version}" if self.base_name else None
        return model_content_hash(self.kind, self.uri, base, self.config)
