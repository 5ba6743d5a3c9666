"""Schemas of governance, shared by the service, the REST API and the SDK."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from genloop.governance._spec import PolicySpec

__all__ = ["Check", "Decision", "Evidence", "ModelCard", "PolicyInfo", "ReviewInfo", "ReviewRequest"]

Decision = Literal["approve", "request_changes", "reject"]
ReviewStatus = Literal["pending", "approved", "changes_requested", "rejected"]


class PolicyInfo(BaseModel):
    """One version of a promotion policy and whether it is in force."""

    name: str
    version: int
    active: bool
    spec: PolicySpec
    requirements: list[str] = Field(default_factory=list)
    created_at: dt.datetime
    created_by: str


class Check(BaseModel):
    """One requirement of a policy, checked: what it is, whether it passed, and why."""

    requirement: str
    kind: Literal["evaluation", "no_regression", "safety", "bias", "approval"]
    passed: bool
    message: str
    run_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Evidence(BaseModel):
    """What a review shows: the checks, the evaluations of the version (with the current one's), lineage."""

    subject: str = Field(description="model:NAME@N, prompt:NAME@N or deployment:NAME@N (the proposed version)")
    target: str
    current: str | None = Field(default=None, description="The version the target points at now")
    author: str = ""
    checks: list[Check] = Field(default_factory=list)
    evaluations: list[dict[str, Any]] = Field(default_factory=list)
    lineage: dict[str, Any] = Field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """The requirements that did not pass (approval aside), each as ``requirement: why``."""
        return [f"{c.requirement}: {c.message}" for c in self.checks if not c.passed and c.kind != "approval"]


class ReviewRequest(BaseModel):
    """Body of ``POST .../governance/reviews``."""

    ref: str = Field(description="model:NAME@N, prompt:NAME@N, deployment:NAME, or NAME@N (a model)")
    target: str = Field(default="production", description="The alias or label to move on approval ('update' for a "
                        "deployment)")
    changes: dict[str, Any] | None = Field(default=None, description="A deployment update's changes (its spec fields)")


class ReviewInfo(BaseModel):
    """A promotion review: the subject, its evidence, and its decision."""

    id: int
    subject: str
    entity_type: str
    name: str
    version: int
    target: str
    policy: str | None = None
    status: ReviewStatus
    passed: bool = Field(description="Every requirement but approval passed when the evidence was gathered")
    author: str
    requested_by: str
    evidence: Evidence
    decided_by: str | None = None
    comment: str = ""
    decided_at: dt.datetime | None = None
    created_at: dt.datetime


class ModelCard(BaseModel):
    """Everything a model card says, from the registry; ``markdown`` renders it."""

    model: str
    kind: str
    status: str
    aliases: list[str] = Field(default_factory=list)
    created_by: str = ""
    created_at: dt.datetime | None = None
    description: str = ""
    intended_use: str = ""
    limitations: str = ""
    base: dict[str, Any] | None = None
    training: dict[str, Any] | None = None
    data: list[dict[str, Any]] = Field(default_factory=list)
    evaluations: list[dict[str, Any]] = Field(default_factory=list)
    safety: list[dict[str, Any]] = Field(default_factory=list)
    bias: list[dict[str, Any]] = Field(default_factory=list)
    approvals: list[dict[str, Any]] = Field(default_factory=list)
    markdown: str = ""
