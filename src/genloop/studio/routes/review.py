"""Review pages: the queues with progress, a queue's raters, its agreement report, and the rating view.

The rating view shows one item and carries the next one, already claimed, in a ``<template>``: on submit the
browser shows it at once and posts the rating in the background (``static/review.js``); the answer brings the
item after it. Every action is checked exactly like its REST route, an ``annotate``-only key sees only the
queues naming it, and the JSON actions answer 200 with ``ok: false`` and the message for a refused rating.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from genloop.errors import GenLoopError, InvalidInput
from genloop.review import ItemInfo, ReviewService
from genloop.studio._context import Studio, StudioDep

router = APIRouter()
_BASE = "/projects/{project}/review"


def _annotator_only(studio: Studio) -> str | None:
    key = studio.key  # an annotate-only key, or a user whose role is annotator: only the queues naming them
    if key is None or key.permits("project.read") or key.permits("project.write"):
        return None
    return key.actor


def _service(studio: Studio, project: str, queue: str | None, method: str, rest: str) -> ReviewService:
    studio.check(method, f"/projects/{project}/review/queues" + rest)
    service = ReviewService(studio.store, project, studio.actor)
    only = _annotator_only(studio)
    if only is not None and queue is not None:
        service.require_assigned(queue, only)
    return service


@router.get(_BASE)
async def queues(project: str, studio: StudioDep) -> Response:
    """Every queue (an annotator: theirs) with its progress and each rater's count."""
    service = _service(studio, project, None, "GET", "")
    only = _annotator_only(studio)

    def load() -> list[tuple[Any, Any]]:
        listed = service.list_queues(annotator=only)
        listed = [q for q in listed if q.annotators] if only else listed
        return [(q, service.progress(q.name)) for q in listed]

    rows = await run_in_threadpool(load)
    return studio.render("review/queues.html", project=project, rows=rows)


@router.get(_BASE + "/{queue}")
async def queue_page(project: str, queue: str, studio: StudioDep) -> Response:
    """One queue: its schema, progress per rater, and links to rate and to the agreement report."""
    service = _service(studio, project, queue, "GET", f"/{queue}")
    info, progress = await run_in_threadpool(lambda: (service.get_queue(queue), service.progress(queue)))
    return studio.render("review/queue.html", project=project, queue=info, progress=progress)


@router.get(_BASE + "/{queue}/agreement")
async def agreement(project: str, queue: str, studio: StudioDep) -> Response:
    """Kappa and alpha per question, per-rater statistics, judges vs humans."""
    service = _service(studio, project, queue, "GET", f"/{queue}")
    studio.check("GET", f"/projects/{project}/review/queues/{queue}/agreement")
    report = await run_in_threadpool(service.agreement, queue)
    return studio.render("review/agreement.html", project=project, queue=queue, report=report)


@router.get(_BASE + "/{queue}/rate")
async def rate(project: str, queue: str, studio: StudioDep) -> Response:
    """The rating view: the rater's current item, and the next one preloaded."""
    service = _service(studio, project, queue, "POST", f"/{queue}/claim")

    def load() -> tuple[Any, ItemInfo | None, ItemInfo | None, Any]:
        info = service.get_queue(queue)
        current = service.claim(queue)
        upcoming = service.claim(queue, exclude=[current.id]) if current is not None else None
        return info, current, upcoming, service.progress(queue)

    info, current, upcoming, progress = await run_in_threadpool(load)
    return studio.render("review/rate.html", project=project, queue=info, item=current, upcoming=upcoming,
                         progress=progress)


@router.get(_BASE + "/{queue}/items/{item_id}")
async def item_fragment(project: str, queue: str, item_id: int, studio: StudioDep) -> Response:
    """One item's rating form (going back with k shows the rater's own answers in it)."""
    service = _service(studio, project, queue, "GET", f"/{queue}/items/{item_id}")
    info, item = await run_in_threadpool(lambda: (service.get_queue(queue), service.item(queue, item_id)))
    if studio.request.headers.get("hx-request") == "true":  # the rating view's script: the card only
        html = studio.request.app.state.templates.get_template("review/_item.html").render(queue=info, item=item)
        return studio.finish(HTMLResponse(html, headers={"Vary": "HX-Request, Cookie"}))
    return studio.render("review/_item_page.html", project=project, queue=info, item=item)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidInput("the request body must be JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


def _exclude(body: dict[str, Any]) -> list[int]:
    shown = body.get("shown") or []
    if not isinstance(shown, list):
        return []
    return [i for i in shown if isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**53][:10]


def _answer(studio: Studio, service: ReviewService, queue: str, item: ItemInfo | None, **extra: Any) -> Response:
    info = service.get_queue(queue)
    progress = service.progress(queue)
    html = ""
    if item is not None:
        env = studio.request.app.state.templates
        html = env.get_template("review/_item.html").render(queue=info, item=item)
    body = {"ok": True, "next_id": item.id if item else None, "next_html": html,
            "progress": {"mine": progress.mine.rated if progress.mine else 0, "done": progress.done,
                         "items": progress.items}} | extra
    return studio.finish(JSONResponse(body))


@router.post(_BASE + "/{queue}/items/{item_id}/submit")
async def submit(project: str, queue: str, item_id: int, request: Request, studio: StudioDep) -> Response:
    """Store a rating; the answer carries the item after the ones on screen (or ``ok: false`` and why not)."""
    service = _service(studio, project, queue, "POST", f"/{queue}/items/{item_id}/submit")
    body = await _body(request)

    def act() -> Response:
        try:
            result = service.submit(queue, item_id, body.get("answers") or {}, exclude=_exclude(body))
        except (InvalidInput, GenLoopError) as exc:
            if exc.status_code not in (400, 404, 409):
                raise
            return studio.finish(JSONResponse({"ok": False, "error": exc.message, "hint": exc.hint}))
        return _answer(studio, service, queue, result.next, rating_id=result.rating.id)

    return await run_in_threadpool(act)


@router.post(_BASE + "/{queue}/items/{item_id}/skip")
async def skip(project: str, queue: str, item_id: int, request: Request, studio: StudioDep) -> Response:
    """Skip (or ``later``) an item; the answer carries the item after the ones on screen."""
    service = _service(studio, project, queue, "POST", f"/{queue}/items/{item_id}/skip")
    body = await _body(request)
    upcoming = await run_in_threadpool(lambda: service.skip(queue, item_id, later=bool(body.get("later")),
                                                            exclude=_exclude(body)))
    return await run_in_threadpool(_answer, studio, service, queue, upcoming)


@router.post(_BASE + "/{queue}/undo")
async def undo(project: str, queue: str, studio: StudioDep) -> Response:
    """Take back the rater's last rating: the answer carries that item, with their answers filled in."""
    service = _service(studio, project, queue, "POST", f"/{queue}/undo")

    def act() -> Response:
        try:
            item = service.undo(queue)
        except GenLoopError as exc:
            if exc.status_code != 404:
                raise
            return studio.finish(JSONResponse({"ok": False, "error": exc.message, "hint": exc.hint}))
        return _answer(studio, service, queue, item)

    return await run_in_threadpool(act)
