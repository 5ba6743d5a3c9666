"""REST routes of governance: promotion policies, promotion reviews and their decisions, model cards.

Deciding a review needs the ``review.decide`` permission (``.../reviews/{review}/decide``); the other changes
under ``/governance`` need ``governance.manage`` (see ``genloop.auth._permissions``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from genloop.governance import (
    ModelCard,
    ModelCardService,
    PolicyInfo,
    PolicyService,
    ReviewInfo,
    ReviewRequest,
    ReviewService,
)
from genloop.governance._schemas import Decision
from genloop.server._deps import ActorDep, StoreDep

router = APIRouter(tags=["governance"])

_BASE = "/projects/{project}/governance"
ReviewId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The review's number")]


class DecisionBody(BaseModel):
    """Body of ``POST .../governance/reviews/{review}/decide``."""

    decision: Decision
    comment: str = Field(default="", max_length=10_000)


class CardNotes(BaseModel):
    """Body of ``PUT .../models/{ref}/card``: what the author says (a field left out is kept)."""

    intended_use: str | None = Field(default=None, max_length=20_000)
    limitations: str | None = Field(default=None, max_length=20_000)


@router.put(f"{_BASE}/policies", response_model=PolicyInfo)
def set_policy(project: str, body: dict[str, Any], store: StoreDep, actor: ActorDep) -> PolicyInfo:
    """Add a version of a promotion policy (the spec as JSON; the newest version is in force)."""
    return PolicyService(store, project, actor).set(body)


@router.get(f"{_BASE}/policies", response_model=list[PolicyInfo])
def list_policies(project: str, store: StoreDep) -> list[PolicyInfo]:
    """The newest version of every promotion policy."""
    return PolicyService(store, project).list()


@router.get(f"{_BASE}/policies/{{name}}", response_model=PolicyInfo)
def get_policy(project: str, name: str, store: StoreDep,
               version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> PolicyInfo:
    """One promotion policy (its newest version, or ``version``)."""
    return PolicyService(store, project).get(name, version)


@router.post(f"{_BASE}/policies/{{name}}/disable", response_model=PolicyInfo)
def disable_policy(project: str, name: str, store: StoreDep, actor: ActorDep) -> PolicyInfo:
    """Stop enforcing a policy (an inactive version keeps the history)."""
    return PolicyService(store, project, actor).disable(name)


@router.post(f"{_BASE}/reviews", response_model=ReviewInfo, status_code=201)
def request_review(project: str, body: ReviewRequest, store: StoreDep, actor: ActorDep) -> ReviewInfo:
    """Open a promotion review of a version for a target; its evidence is gathered now."""
    return ReviewService(store, project, actor).request(body.ref, target=body.target, changes=body.changes)


@router.get(f"{_BASE}/reviews", response_model=list[ReviewInfo])
def list_reviews(project: str, store: StoreDep, status: str | None = None, ref: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[ReviewInfo]:
    """Reviews, newest first (``status``: pending, approved, changes_requested, rejected; ``ref``: NAME[@N])."""
    return ReviewService(store, project).list(status=status, ref=ref, limit=limit)


@router.get(f"{_BASE}/reviews/{{review}}", response_model=ReviewInfo)
def get_review(project: str, review: ReviewId, store: StoreDep) -> ReviewInfo:
    """One review with its evidence and decision."""
    return ReviewService(store, project).get(review)


@router.post(f"{_BASE}/reviews/{{review}}/decide", response_model=ReviewInfo)
def decide_review(project: str, review: ReviewId, body: DecisionBody, store: StoreDep,
                  actor: ActorDep) -> ReviewInfo:
    """Approve (moves the alias or label), request changes, or reject; once, and never by the author."""
    return ReviewService(store, project, actor).decide(review, body.decision, comment=body.comment)


@router.get("/projects/{project}/models/{ref}/card", response_model=ModelCard)
def model_card(project: str, ref: str, store: StoreDep) -> ModelCard:
    """The model card of a version, with its Markdown."""
    return ModelCardService(store, project).card(ref)


@router.get("/projects/{project}/models/{ref}/card.md", response_class=PlainTextResponse)
def model_card_markdown(project: str, ref: str, store: StoreDep) -> str:
    """The model card of a version as Markdown."""
    return ModelCardService(store, project).card(ref).markdown


@router.put("/projects/{project}/models/{ref}/card", response_model=ModelCard)
def set_card_notes(project: str, ref: str, body: CardNotes, store: StoreDep, actor: ActorDep) -> ModelCard:
    """Write the intended use and limitations of a version (its author only)."""
    return ModelCardService(store, project, actor).set_notes(ref, intended_use=body.intended_use,
                                                             limitations=body.limitations)
