"""REST routes for human review: rating schemas, annotation queues, the rater's loop, agreement, export.

A key with only the ``annotate`` scope, or a user whose role is annotator, reaches the queue routes the permission
table gives ``review.read``/``review.annotate`` and, here, only the queues that name it as an annotator.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from genloop.review import (
    ItemInfo,
    QueueCreate,
    QueueInfo,
    QueueProgress,
    RatingInfo,
    RatingSchemaCreate,
    RatingSchemaInfo,
    ReviewService,
    SubmitResult,
)
from genloop.review._agreement import QueueAgreement
from genloop.review._export import ReviewExport
from genloop.review._schemas import ExportRequest, ItemsAdd, ItemsAdded, RatingSubmit, SkipRequest
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page

router = APIRouter(tags=["review"], default_response_class=JSONResponse)
_BASE = "/projects/{project}/review"


def annotator_only(request: Request) -> str | None:
    """Who the caller is (``key:<name>``, ``user:<name>``) when it may only annotate: an ``annotate``-only key or a
    user whose role is annotator. It may see only the queues that name it among their annotators."""
    key = getattr(request.state, "api_key", None)
    if key is None or key.permits("project.read") or key.permits("project.write"):
        return None
    return str(key.actor)


def _service(store: StoreDep, project: str, actor: str, request: Request, queue: str | None = None) -> ReviewService:
    service = ReviewService(store, project, actor)
    annotator = annotator_only(request)
    if annotator is not None and queue is not None:
        service.require_assigned(queue, annotator)
    return service


@router.post(f"{_BASE}/schemas", response_model=RatingSchemaInfo, status_code=201)
def create_schema(project: str, body: RatingSchemaCreate, store: StoreDep, actor: ActorDep) -> RatingSchemaInfo:
    """Create a rating schema, or its next version (the same questions return the latest version)."""
    return ReviewService(store, project, actor).create_schema(body.name, list(body.questions),
                                                              description=body.description)


@router.get(f"{_BASE}/schemas", response_model=list[RatingSchemaInfo])
def list_schemas(project: str, store: StoreDep) -> list[RatingSchemaInfo]:
    """The latest version of every rating schema."""
    return ReviewService(store, project).list_schemas()


@router.get(f"{_BASE}/schemas/{{ref}}", response_model=RatingSchemaInfo)
def get_schema(project: str, ref: str, store: StoreDep) -> RatingSchemaInfo:
    """A schema version: NAME (latest) or NAME@VERSION."""
    return ReviewService(store, project).get_schema(ref)


@router.post(f"{_BASE}/queues", response_model=QueueInfo, status_code=201)
def create_queue(project: str, body: QueueCreate, store: StoreDep, actor: ActorDep) -> QueueInfo:
    """Create an empty annotation queue rated with a schema version."""
    return ReviewService(store, project, actor).create_queue(
        body.name, body.schema_ref, ratings_per_item=body.ratings_per_item, assignment=body.assignment,
        annotators=body.annotators, lock_seconds=body.lock_seconds, description=body.description)


@router.get(f"{_BASE}/queues", response_model=list[QueueInfo])
def list_queues(project: str, request: Request, store: StoreDep, annotator: str | None = None) -> list[QueueInfo]:
    """Every queue, or those an annotator may rate (an ``annotate`` key: always only its own)."""
    only = annotator_only(request)
    service = ReviewService(store, project)
    if only is not None:
        return [q for q in service.list_queues(annotator=only) if q.annotators]
    return service.list_queues(annotator=annotator)


@router.get(f"{_BASE}/queues/{{queue}}", response_model=QueueInfo)
def get_queue(project: str, queue: str, request: Request, store: StoreDep, actor: ActorDep) -> QueueInfo:
    """One queue with its counts."""
    return _service(store, project, actor, request, queue).get_queue(queue)


@router.post(f"{_BASE}/queues/{{queue}}/items", response_model=ItemsAdded, status_code=201)
def add_items(project: str, queue: str, body: ItemsAdd, store: StoreDep, actor: ActorDep) -> ItemsAdded:
    """Add items from traces (a filter), an eval run, a comparison of two runs, a dataset version, or given."""
    service = ReviewService(store, project, actor)
    added = service.add(queue, body)
    return ItemsAdded(queue=queue, added=added, items=service.get_queue(queue).items)


@router.post(f"{_BASE}/queues/{{queue}}/claim", response_model=ItemInfo | None)
def claim(project: str, queue: str, request: Request, store: StoreDep, actor: ActorDep) -> ItemInfo | None:
    """Lock and return the caller's next item; null when nothing is left for them."""
    return _service(store, project, actor, request, queue).claim(queue)


@router.get(f"{_BASE}/queues/{{queue}}/items/{{item_id}}", response_model=ItemInfo)
def get_item(project: str, queue: str, item_id: int, request: Request, store: StoreDep,
             actor: ActorDep) -> ItemInfo:
    """One item as the caller sees it, with their own answers if they rated it."""
    return _service(store, project, actor, request, queue).item(queue, item_id)


@router.post(f"{_BASE}/queues/{{queue}}/items/{{item_id}}/submit", response_model=SubmitResult, status_code=201)
def submit(project: str, queue: str, item_id: int, body: RatingSubmit, request: Request, store: StoreDep,
           actor: ActorDep) -> SubmitResult:
    """Rate an item (answers checked against the schema); 409 when it is done or already rated by the caller."""
    return _service(store, project, actor, request, queue).submit(queue, item_id, body.answers, next_item=body.next)


@router.post(f"{_BASE}/queues/{{queue}}/items/{{item_id}}/skip", response_model=ItemInfo | None)
def skip(project: str, queue: str, item_id: int, body: SkipRequest, request: Request, store: StoreDep,
         actor: ActorDep) -> ItemInfo | None:
    """Skip an item (``later``: come back to it after the rest); returns the next item."""
    return _service(store, project, actor, request, queue).skip(queue, item_id, later=body.later)


@router.post(f"{_BASE}/queues/{{queue}}/undo", response_model=ItemInfo)
def undo(project: str, queue: str, request: Request, store: StoreDep, actor: ActorDep) -> ItemInfo:
    """Take back the caller's last rating in the queue; the item returns to them with those answers."""
    return _service(store, project, actor, request, queue).undo(queue)


@router.get(f"{_BASE}/queues/{{queue}}/progress", response_model=QueueProgress)
def progress(project: str, queue: str, request: Request, store: StoreDep, actor: ActorDep) -> QueueProgress:
    """Items, done, ratings, locks, and each rater's count and time per item."""
    return _service(store, project, actor, request, queue).progress(queue)


@router.get(f"{_BASE}/queues/{{queue}}/ratings", response_model=Page[RatingInfo])
def ratings(project: str, queue: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 100) -> Page[RatingInfo]:
    """Every rating, oldest first (pairwise choices de-randomised: ``a`` is the first source)."""
    return ReviewService(store, project).ratings(queue, offset=offset, limit=limit)


@router.get(f"{_BASE}/queues/{{queue}}/agreement", response_model=QueueAgreement)
def agreement(project: str, queue: str, store: StoreDep, actor: ActorDep, question: str | None = None
              ) -> QueueAgreement:
    """Kappa and alpha per question, per-rater statistics, and judges vs the human majority."""
    return ReviewService(store, project, actor).agreement(queue, question=question)


@router.post(f"{_BASE}/queues/{{queue}}/export", response_model=ReviewExport, status_code=201)
def export(project: str, queue: str, body: ExportRequest, response: Response, store: StoreDep,
           actor: ActorDep) -> ReviewExport:
    """Export to a new dataset version: golden (eval), sft (chat) or preference. 200 when it equals the latest."""
    result = ReviewService(store, project, actor).export(queue, kind=body.kind, name=body.name, message=body.message)
    response.status_code = 201 if result.created else 200
    return result
