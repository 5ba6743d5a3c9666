"""Queues end to end on the store: schemas, filling, claim/submit/skip/later/undo, locks, feedback, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from genloop.errors import Conflict, Forbidden, InvalidInput, NotFound
from genloop.feedback import FeedbackService
from genloop.review import ReviewService
from genloop.review._tables import ItemRow
from genloop.runs import RunService

from .conftest import SCHEMA, as_rater, record_traces

GOOD = {"helpfulness": 4, "safe": True, "fix": None}


def test_schema_versions_are_reused_or_bumped(review: ReviewService) -> None:
    assert review.create_schema("quality", SCHEMA).version == 1  # same questions: the same version
    changed = [*SCHEMA[:-1], {"name": "fix", "type": "edit", "prompt": "Rewrite it"}]
    assert review.create_schema("quality", changed).ref == "quality@2"
    assert review.get_schema("quality@1").questions[0].points[0] == "bad"
    assert [s.ref for s in review.list_schemas()] == ["quality@2"]
    with pytest.raises(InvalidInput, match="min < max"):
        review.create_schema("bad", [{"name": "score", "type": "numeric", "min": 5, "max": 1}])
    with pytest.raises(NotFound, match="no rating schema 'nope'"):
        review.create_queue("q", "nope")


def test_rater_works_through_a_queue(store, review: ReviewService) -> None:
    record_traces(store, 3)
    review.create_queue("q", "quality")
    assert review.add_traces("q", {"deployment": "bot"}) == 3
    assert review.add_traces("q", {"deployment": "bot"}) == 0  # the same traces are not added twice
    first = review.claim("q")
    assert first is not None and first.content["messages"][0]["content"] == "question 1"
    assert first.content["answer"] == "answer 1" and "origin" not in first.content
    assert review.claim("q").id == first.id  # the rater's held item comes back
    result = review.submit("q", first.id, {"helpfulness": 5, "safe": True, "fix": "a better answer 1"})
    assert result.item_done and result.next is not None and result.next.position == 1
    skipped = review.skip("q", result.next.id)
    assert skipped is not None and skipped.position == 2
    later = review.skip("q", skipped.id, later=True)
    assert later is None  # item 1 is skipped for good, item 2 only for later: nothing else first
    back = review.claim("q")
    assert back is not None and back.position == 2  # "come back later" comes back once the rest is done
    review.submit("q", back.id, GOOD)
    undone = review.undo("q")
    assert undone.id == back.id and undone.undone == {"helpfulness": 4, "safe": True, "fix": None}
    assert not undone.done and undone.locked_by == "alice"
    review.submit("q", back.id, GOOD | {"helpfulness": 3})
    progress = review.progress("q")
    assert (progress.items, progress.done, progress.ratings) == (3, 2, 2)
    assert progress.mine.rated == 2 and progress.mine.skipped == 1
    # every answer is feedback on the trace, with the rater and the schema version
    feedback = FeedbackService(store).list(trace_id=first.content and f"{1:032x}").items
    assert {f.name: f.value for f in feedback} == {"helpfulness": 5.0, "safe": True, "fix": None}
    fix = next(f for f in feedback if f.name == "fix")
    assert fix.kind == "correction" and fix.correction == "a better answer 1" and fix.created_by == "alice"
    assert fix.metadata["schema_version"] == 1 and fix.metadata["review_queue"] == "q"


def test_answers_that_do_not_fit_are_refused_with_the_allowed_values(store, review: ReviewService) -> None:
    record_traces(store, 1)
    review.create_queue("q", "quality")
    review.add_traces("q")
    item = review.claim("q")
    with pytest.raises(InvalidInput, match=r"allowed: 1 \(bad\), 2 \(poor\)"):
        review.submit("q", item.id, GOOD | {"helpfulness": 7})
    with pytest.raises(InvalidInput, match="allowed: one of billing, tech, other"):
        review.submit("q", item.id, GOOD | {"topic": "sports"})
    with pytest.raises(InvalidInput, match="unknown question"):
        review.submit("q", item.id, GOOD | {"colour": "red"})
    with pytest.raises(InvalidInput, match="'safe' needs an answer"):
        review.submit("q", item.id, {"helpfulness": 3})
    with pytest.raises(InvalidInput, match="true or false"):
        review.submit("q", item.id, GOOD | {"safe": "yes"})
    assert review.progress("q").ratings == 0  # nothing half-written
    assert FeedbackService(store).list().total == 0


def test_n_ratings_per_item_and_done(store, review: ReviewService) -> None:
    record_traces(store, 1)
    review.create_queue("q", "quality", ratings_per_item=2)
    review.add_traces("q")
    alice, bob, carol = (as_rater(review, n) for n in ("alice", "bob", "carol"))
    item = alice.claim("q")
    assert bob.claim("q") is None  # locked by alice
    assert not alice.submit("q", item.id, GOOD).item_done
    with pytest.raises(Conflict, match="already rated"):
        alice.submit("q", item.id, GOOD)
    assert bob.claim("q").id == item.id
    assert bob.submit("q", item.id, GOOD).item_done
    with pytest.raises(Conflict, match="is done"):
        carol.submit("q", item.id, GOOD)
    assert carol.claim("q") is None


def test_expired_lock_returns_the_item_and_keeps_the_submitted_rating(store, review: ReviewService) -> None:
    record_traces(store, 1)
    review.create_queue("q", "quality", ratings_per_item=2, lock_seconds=60)
    review.add_traces("q")
    alice, bob = as_rater(review, "alice"), as_rater(review, "bob")
    item = alice.claim("q")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    store.db.write(lambda s: s.execute(update(ItemRow).values(locked_until=past)))
    assert bob.claim("q").id == item.id  # alice's lock expired: bob gets it
    assert not alice.submit("q", item.id, GOOD).item_done  # alice's late rating is still kept (N allows)
    assert bob.submit("q", item.id, GOOD).item_done
    assert {r.rater for r in review.ratings("q").items} == {"alice", "bob"}


def test_annotators_and_round_robin(store, review: ReviewService) -> None:
    record_traces(store, 4)
    review.create_queue("rr", "quality", assignment="round_robin", annotators=["bob", "key:carol"])
    review.add_traces("rr")
    bob, carol, dave = as_rater(review, "bob"), as_rater(review, "key:carol"), as_rater(review, "dave")
    with pytest.raises(Forbidden, match="not an annotator"):
        dave.claim("rr")
    assert [q.name for q in review.list_queues(annotator="dave")] == []
    assert [q.name for q in review.list_queues(annotator="carol")] == ["rr"]
    got = {"bob": [], "carol": []}
    for name, rater in (("bob", bob), ("carol", carol)):
        item = rater.claim("rr")
        while item is not None:
            got[name].append(item.position)
            item = rater.submit("rr", item.id, GOOD).next
    assert got == {"bob": [0, 2], "carol": [1, 3]}
    with pytest.raises(InvalidInput, match="at least as many annotators"):
        review.create_queue("rr2", "quality", assignment="round_robin", annotators=["bob"], ratings_per_item=2)


def test_deleted_trace_leaves_ratings_and_items(store, review: ReviewService) -> None:
    from genloop.tracing._tables import TraceRow

    record_traces(store, 1)
    review.create_queue("q", "quality")
    review.add_traces("q")
    item = review.claim("q")
    review.submit("q", item.id, GOOD | {"fix": "better"})
    store.db.write(lambda s: s.execute(TraceRow.__table__.delete()))
    assert review.item("q", item.id).content["answer"] == "answer 1"
    assert review.ratings("q").items[0].answers["fix"] == "better"
    assert FeedbackService(store).list().total == 3
    exported = review.export("q", kind="sft", name="after-delete")  # the snapshot still makes the row
    assert exported.rows == 1 and f"trace:{1:032x}" in RunService(store).get(exported.run_id).inputs
