"""Governance pages: reviews and policies, one review's evidence with the decision form, and model cards."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from genloop.governance import ModelCardService, PolicyService, ReviewService
from genloop.studio._context import StudioDep

router = APIRouter()


@router.get("/projects/{project}/governance")
def governance(project: str, studio: StudioDep, status: str = "") -> Response:
    studio.check("GET", f"/projects/{project}/governance/reviews")
    reviews = ReviewService(studio.store, project).list(status=status or None, limit=200)
    return studio.render("governance/page.html", project=project, reviews=reviews, status=status,
                         statuses=["", "pending", "approved", "changes_requested", "rejected"],
                         policies=PolicyService(studio.store, project).list())


@router.get("/projects/{project}/governance/reviews/{review_id}")
def review(project: str, review_id: int, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/governance/reviews/{review_id}")
    info = ReviewService(studio.store, project).get(review_id)
    return studio.render("governance/review.html", project=project, review=info,
                         decided=studio.request.query_params.get("decided"))


@router.post("/projects/{project}/governance/reviews/{review_id}/decide")
def decide(project: str, review_id: int, studio: StudioDep, decision: str = Form(...),
           comment: str = Form("")) -> Response:
    """Decide a review (approval moves the alias or label); refusals show as the error page."""
    studio.check("POST", f"/projects/{project}/governance/reviews/{review_id}/decide")
    ReviewService(studio.store, project, studio.actor).decide(review_id, decision, comment=comment)
    return studio.redirect(f"/projects/{project}/governance/reviews/{review_id}?decided={decision}")


@router.get("/projects/{project}/model-cards/{ref}")
def card(project: str, ref: str, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/models/{ref}/card")
    return studio.render("governance/card.html", project=project, card=ModelCardService(studio.store, project).card(ref))
