"""Two raters submitting the same item at the same moment, from two threads, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from genloop.errors import Conflict
from genloop.feedback import FeedbackService
from genloop.review import ReviewService

from .conftest import as_rater, record_traces

GOOD = {"helpfulness": 4, "safe": True, "fix": None}


def _race(review: ReviewService, item_id: int, raters: list[str]) -> list[object]:
    barrier = threading.Barrier(len(raters))
    results: list[object] = [None] * len(raters)

    def submit(index: int, name: str) -> None:
        service = as_rater(review, name)
        barrier.wait()
        try:
            results[index] = service.submit("q", item_id, GOOD, next_item=False)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[index] = exc

    threads = [threading.Thread(target=submit, args=(i, n)) for i, n in enumerate(raters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.parametrize(("needed", "raters"), [(1, 2), (2, 2), (2, 4)])
def test_simultaneous_submissions(store, review: ReviewService, needed: int, raters: int) -> None:
    record_traces(store, 1)
    review.create_queue("q", "quality", ratings_per_item=needed)
    review.add_traces("q")
    item = review.claim("q")
    names = [f"rater{i}" for i in range(raters)]
    for _ in range(3):  # a few rounds: the outcome must never depend on who wins
        results = _race(review, item.id, names)
        kept = [r for r in results if not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(kept) == needed and all(isinstance(e, Conflict) and "is done" in str(e) for e in refused)
        stored = review.ratings("q").items
        assert len(stored) == needed and sorted(r.id for r in stored) == sorted(k.rating.id for k in kept)
        assert FeedbackService(store).list().total == 3 * needed  # feedback of the kept ratings only
        assert review.progress("q").done == 1
        for rating in stored:  # take them back for the next round
            as_rater(review, rating.rater).undo("q")
        assert review.ratings("q").total == 0 and FeedbackService(store).list().total == 0
