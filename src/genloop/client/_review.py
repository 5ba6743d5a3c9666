"""REST twin of :class:`genloop.review.ReviewService`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from genloop.client._http import HttpTransport
from genloop.review import (
    ItemInfo,
    Question,
    QueueInfo,
    QueueProgress,
    RatingInfo,
    RatingSchemaInfo,
    SubmitResult,
    TraceFilter,
)
from genloop.review._agreement import QueueAgreement
from genloop.review._export import ReviewExport
from genloop.review._schemas import Comparison, ItemsAdd, ItemsAdded
from genloop.store import Page

__all__ = ["RemoteReview"]

_LONG = httpx.Timeout(60.0, read=3600.0)  # filling from a million traces, or an export, takes a while


class RemoteReview:
    """``client.review`` when the client talks to a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/review"

    def _queue(self, queue: str) -> str:
        return f"{self._base}/queues/{quote(queue, safe='')}"

    def create_schema(self, name: str, questions: list[Question | dict[str, Any]], *,
                      description: str = "") -> RatingSchemaInfo:
        body = {"name": name, "description": description,
                "questions": [q.model_dump() if isinstance(q, Question) else q for q in questions]}
        return self._http.post_as(RatingSchemaInfo, f"{self._base}/schemas", json=body)

    def get_schema(self, ref: str) -> RatingSchemaInfo:
        return self._http.get_as(RatingSchemaInfo, f"{self._base}/schemas/{quote(ref, safe='')}")

    def list_schemas(self) -> list[RatingSchemaInfo]:
        return self._http.get_as(list[RatingSchemaInfo], f"{self._base}/schemas")

    def create_queue(self, name: str, schema: str, *, ratings_per_item: int = 1, assignment: str = "claim",
                     annotators: list[str] | None = None, lock_seconds: int = 600,
                     description: str = "") -> QueueInfo:
        body = {"name": name, "schema_ref": schema, "ratings_per_item": ratings_per_item, "assignment": assignment,
                "annotators": annotators or [], "lock_seconds": lock_seconds, "description": description}
        return self._http.post_as(QueueInfo, f"{self._base}/queues", json=body)

    def get_queue(self, name: str) -> QueueInfo:
        return self._http.get_as(QueueInfo, self._queue(name))

    def list_queues(self, *, annotator: str | None = None) -> list[QueueInfo]:
        params = {"annotator": annotator} if annotator else {}
        return self._http.get_as(list[QueueInfo], f"{self._base}/queues", params=params)

    def add(self, queue: str, spec: ItemsAdd) -> int:
        added: ItemsAdded = self._http.post_as(ItemsAdded, f"{self._queue(queue)}/items",
                                   json=spec.model_dump(mode="json", exclude_none=True), timeout=_LONG)
        return added.added

    def add_items(self, queue: str, items: list[dict[str, Any]]) -> int:
        return self.add(queue, ItemsAdd(items=items))

    def add_traces(self, queue: str, where: TraceFilter | dict[str, Any] | None = None) -> int:
        spec = where if isinstance(where, TraceFilter) else TraceFilter.model_validate(where or {})
        return self.add(queue, ItemsAdd(traces=spec))

    def add_eval_run(self, queue: str, run_id: str, *, candidate: str | None = None) -> int:
        return self.add(queue, ItemsAdd(run_id=run_id, candidate=candidate))

    def add_comparison(self, queue: str, run_a: str, run_b: str, *, metric: str | None = None,
                       seed: int = 0) -> int:
        return self.add(queue, ItemsAdd(comparison=Comparison(run_a=run_a, run_b=run_b, metric=metric, seed=seed)))

    def add_dataset(self, queue: str, ref: str, *, limit: int | None = None) -> int:
        return self.add(queue, ItemsAdd(dataset=ref, limit=limit))

    def claim(self, queue: str) -> ItemInfo | None:
        return self._http.post_as(ItemInfo | None, f"{self._queue(queue)}/claim")

    def item(self, queue: str, item_id: int) -> ItemInfo:
        return self._http.get_as(ItemInfo, f"{self._queue(queue)}/items/{int(item_id)}")

    def submit(self, queue: str, item_id: int, answers: dict[str, Any], *, next_item: bool = True) -> SubmitResult:
        return self._http.post_as(SubmitResult, f"{self._queue(queue)}/items/{int(item_id)}/submit",
                                  json={"answers": answers, "next": next_item})

    def skip(self, queue: str, item_id: int, *, later: bool = False) -> ItemInfo | None:
        return self._http.post_as(ItemInfo | None, f"{self._queue(queue)}/items/{int(item_id)}/skip",
                                  json={"later": later})

    def undo(self, queue: str) -> ItemInfo:
        return self._http.post_as(ItemInfo, f"{self._queue(queue)}/undo")

    def ratings(self, queue: str, *, offset: int = 0, limit: int = 100) -> Page[RatingInfo]:
        return self._http.get_as(Page[RatingInfo], f"{self._queue(queue)}/ratings",
                                 params={"offset": offset, "limit": limit})

    def progress(self, queue: str) -> QueueProgress:
        return self._http.get_as(QueueProgress, f"{self._queue(queue)}/progress")

    def agreement(self, queue: str, *, question: str | None = None) -> QueueAgreement:
        params = {"question": question} if question else {}
        return self._http.get_as(QueueAgreement, f"{self._queue(queue)}/agreement", params=params, timeout=_LONG)

    def export(self, queue: str, *, kind: str, name: str, message: str = "") -> ReviewExport:
        return self._http.post_as(ReviewExport, f"{self._queue(queue)}/export",
                                  json={"kind": kind, "name": name, "message": message}, timeout=_LONG)
