"""Schemas of the model registry: what :class:`ModelService` returns and the REST API sends."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "MODEL_KINDS",
    "MODEL_STATUSES",
    "STATUS_TRANSITIONS",
    "ModelDetail",
    "ModelInfo",
    "ModelKind",
    "ModelStatus",
    "ModelVersion",
    "RegisterModel",
    "StatusChange",
]

ModelKind = Literal["provider", "checkpoint", "adapter", "merged", "quantized"]
ModelStatus = Literal["draft", "reviewed", "approved", "retired"]

MODEL_KINDS: tuple[str, ...] = ("provider", "checkpoint", "adapter", "merged", "quantized")
MODEL_STATUSES: tuple[str, ...] = ("draft", "reviewed", "approved", "retired")

#: The review lifecycle: draft -> reviewed -> approved -> retired. A review may send a version back to
#: draft; a draft may be approved directly (small teams skip the review step); retired is final.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("reviewed", "approved", "retired"),
    "reviewed": ("approved", "draft", "retired"),
    "approved": ("retired",),
    "retired": (),
}


class ModelVersion(BaseModel):
    """One immutable model version: what it is (kind, URI, base, config) and where it stands (status, aliases)."""

    name: str
    version: int
    kind: str
    uri: str = Field(description="provider:model, a local path, or an fsspec URI")
    base: str | None = Field(default=None, description="NAME@N of the base model (adapters, merged, quantized)")
    config: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    status: str = "draft"
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    source_run_id: str | None = None
    created_at: dt.datetime
    created_by: str = ""

    @property
    def ref(self) -> str:
        """The concrete reference ``NAME@N``."""
        return f"{self.name}@{self.version}"


class StatusChange(BaseModel):
    """One step of a version's status history, read from the audit log."""

    from_status: str | None = Field(default=None, description="None for the registration itself")
    to_status: str
    reason: str | None = None
    actor: str
    at: dt.datetime


class ModelDetail(ModelVersion):
    """A version with its status history (``genloop models show``)."""

    history: list[StatusChange] = Field(default_factory=list)


class ModelInfo(BaseModel):
    """One registered model in a listing, summarised by its latest version."""

    name: str
    description: str = ""
    latest_version: int | None = None
    kind: str | None = None
    status: str | None = None
    aliases: dict[str, int] = Field(default_factory=dict)
    created_at: dt.datetime
    created_by: str = ""


class RegisterModel(BaseModel):
    """Request body of ``POST /projects/{project}/models/{name}/versions``."""

    kind: str
    uri: str
    base: str | None = None
    base_url: str | None = None
    # Any, so the service checks them and answers with the same message as in-process
    config: Any = Field(default=None, description="JSON object: parameters, quantization, ...")
    metadata: Any = Field(default=None, description="JSON object: free-form notes")
    description: str = ""
    source_run_id: str | None = None
