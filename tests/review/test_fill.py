"""Filling a queue from traces by a saved filter: each condition, the deterministic sample, and the refusals."""

from __future__ import annotations

import pytest

from genloop.errors import InvalidInput, NotFound
from genloop.feedback import FeedbackService
from genloop.review import ReviewService
from genloop.review._fill import sampled

from .conftest import record_traces, trace_id


def _origins(review: ReviewService, queue: str) -> list[str]:
    out, item = [], review.claim(queue)
    while item is not None:
        out.append(item.content["messages"][0]["content"])
        item = review.skip(queue, item.id)
    return out


def test_each_filter_condition(store, review: ReviewService) -> None:
    record_traces(store, 4)  # question 1..4, deployment bot, variant v1
    record_traces(store, 2, start=5, deployment="other", variant="v2")
    record_traces(store, 1, start=7, guardrails=[{"check": "pii", "action": "redact", "category": "pii"}])
    feedback = FeedbackService(store)
    feedback.create(trace_id(1), name="thumbs", value=0.0)
    feedback.create(trace_id(2), name="thumbs", value=1.0)
    feedback.create(trace_id(3), name="helpful", value=2.0, source="judge")
    feedback.create(trace_id(4), name="helpful", value=4.5, source="judge")
    cases = {
        "dep": ({"deployment": "other"}, ["question 5", "question 6"]),
        "var": ({"variant": "v2"}, ["question 5", "question 6"]),
        "thumbs-down": ({"feedback_name": "thumbs", "feedback_max": 0}, ["question 1"]),
        "judge-low": ({"judge": "helpful", "judge_below": 3}, ["question 3"]),
        "redacted": ({"guardrail_action": "redact"}, ["question 7"]),
        "window": ({"since": "2023-11-14T22:13:22Z", "until": "2023-11-14T22:13:25Z"}, ["question 2", "question 3",
                                                                                         "question 4"]),
        "capped": ({"deployment": "bot", "limit": 2}, ["question 1", "question 2"]),
    }
    for name, (spec, expected) in cases.items():
        review.create_queue(name, "quality")
        review.add_traces(name, spec)
        assert _origins(review, name) == expected, name


def test_sampling_is_deterministic_and_nested(store, review: ReviewService) -> None:
    ids = record_traces(store, 200)
    tenth = {t for t in ids if sampled(t, 0.1, seed=3)}
    half = {t for t in ids if sampled(t, 0.5, seed=3)}
    assert tenth <= half and 5 <= len(tenth) <= 40 and 70 <= len(half) <= 130  # a higher rate keeps a superset
    review.create_queue("a", "quality")
    review.create_queue("b", "quality")
    assert review.add_traces("a", {"sample_rate": 0.1, "seed": 3}) == len(tenth)
    assert review.add_traces("b", {"sample_rate": 0.1, "seed": 3}) == len(tenth)  # same filter, same traces
    assert {t for t in ids if sampled(t, 0.1, seed=4)} != tenth  # another seed, another sample


def test_refusals(store, review: ReviewService) -> None:
    review.create_queue("q", "quality")
    with pytest.raises(InvalidInput, match="since must be before until"):
        review.add_traces("q", {"since": "2024-01-02T00:00:00Z", "until": "2024-01-01T00:00:00Z"})
    with pytest.raises(InvalidInput, match="judge needs judge_below"):
        review.add_traces("q", {"judge": "helpful"})
    with pytest.raises(NotFound, match="no eval run 'nope'"):
        review.add_eval_run("q", "nope")
    with pytest.raises(NotFound, match="no review queue 'missing'"):
        review.add_traces("missing")
    with pytest.raises(InvalidInput, match="needs an 'answer'"):
        review.add_items("q", [{"messages": []}])
    assert review.get_queue("q").items == 0
