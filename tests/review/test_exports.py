"""Queues over eval runs and comparisons, judge vs human agreement, and exports with lineage."""

from __future__ import annotations

from typing import Any

import pytest
from tests.evals.conftest import spec_for

from genloop.errors import InvalidInput
from genloop.review import ReviewService
from genloop.runs import RunService

from .conftest import as_rater, record_traces


def _rate_all(service: ReviewService, queue: str, answer) -> int:  # type: ignore[no-untyped-def]
    item, n = service.claim(queue), 0
    while item is not None:
        item = service.submit(queue, item.id, answer(item)).next
        n += 1
    return n


def test_golden_and_sft_exports_from_traces(store, review: ReviewService) -> None:
    record_traces(store, 4)
    review.create_queue("q", "quality")
    review.add_traces("q")

    def answer(item: Any) -> dict[str, Any]:  # item 0 corrected, 1 approved, 2 judged unsafe, 3 corrected
        fix = {0: "fixed 1", 3: "fixed 4"}.get(item.position)
        return {"helpfulness": 3, "safe": item.position != 2, "fix": fix}

    assert _rate_all(review, "q", answer) == 4
    golden_export = review.export("q", kind="golden", name="golden-set")
    assert golden_export.rows == 3 and golden_export.skipped == {"no_reference": 1}
    rows = review_rows(store, golden_export.dataset.ref)
    assert [r["reference"] for r in rows] == ["fixed 1", "answer 2", "fixed 4"]
    assert rows[0]["messages"] == [{"role": "user", "content": "question 1"}]
    sft = review.export("q", kind="sft", name="sft-set")
    assert [r["messages"][-1]["content"] for r in review_rows(store, sft.dataset.ref)] == ["fixed 1", "fixed 4"]
    preference = review.export("q", kind="preference", name="pref-set")
    pref_rows = review_rows(store, preference.dataset.ref)
    assert [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in pref_rows] == [
        ("fixed 1", "answer 1"), ("fixed 4", "answer 4")]
    run = RunService(store).get(sft.run_id)
    assert run.status == "succeeded" and f"dataset:{sft.dataset.ref}" in run.outputs
    assert "review_queue:q" in run.inputs and f"trace:{1:032x}" in run.inputs and f"trace:{4:032x}" in run.inputs
    review.add_items("q", [{"messages": [{"role": "user", "content": "question 1"}], "answer": "answer 1"}])
    twin = review.claim("q")  # the same conversation and answer as trace 1, corrected the same way
    review.submit("q", twin.id, {"helpfulness": 3, "safe": True, "fix": "fixed 1"})
    deduped = review.export("q", kind="sft", name="sft-set")
    assert deduped.rows == 2 and deduped.skipped == {"no_correction": 2, "duplicate": 1} and not deduped.created
    again = review.export("q", kind="sft", name="sft-set")
    assert not again.created and again.dataset.version == sft.dataset.version
    with pytest.raises(InvalidInput, match="unknown export kind"):
        review.export("q", kind="dpo", name="x")


def review_rows(store, ref: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    from genloop.datasets import DatasetService

    return list(DatasetService(store).iter_rows(ref))


def test_eval_queue_judge_vs_human(store, local, golden: str, judge) -> None:  # type: ignore[no-untyped-def]
    run = local.evals.run(spec_for(golden), providers={"judge": judge})
    review = ReviewService(store, actor="owner")
    review.create_schema("grade", [{"name": "correct", "type": "numeric", "min": 1, "max": 5}])
    review.create_queue("evalq", "grade", ratings_per_item=2)
    assert review.add_eval_run("evalq", run.run_id, candidate="base") == 12
    for rater in ("ann", "ben"):
        # humans: 5 when the base answer is right (i % 3), 2 otherwise; ben disagrees on q1
        _rate_all(as_rater(review, rater), "evalq", lambda item, r=rater: {
            "correct": 2 if item.content["answer"] == "no idea" or (r == "ben" and item.position == 1) else 5})
    report = review.agreement("evalq")
    assert report.questions[0].level == "interval" and report.questions[0].kappa is not None
    (agreement,) = report.judges
    assert agreement.judge == "correct" and agreement.n == 12
    assert agreement.accuracy == pytest.approx(11 / 12)  # q1: the median of 5 and 2 rounds to 4; the judge said 5
    humans = {f"q{i}/base": (5 if i % 3 else 2) for i in range(12)} | {"q1/base": 4}
    direct = local.evals.validate_judge(run.run_id, "correct", labels=humans)  # the same logic, fed by hand
    assert direct.model_dump() == agreement.model_dump()


def test_pairwise_queue_from_a_comparison(store, local, golden: str) -> None:  # type: ignore[no-untyped-def]
    one = {"judges": [], "metrics": ["exact_match"]}
    run_a = local.evals.run(spec_for(golden, name="a", candidates=[{"name": "bot", "output_column": "base"}], **one))
    run_b = local.evals.run(spec_for(golden, name="b", candidates=[{"name": "bot", "output_column": "new"}], **one))
    review = ReviewService(store, actor="owner")
    review.create_schema("pref", [{"name": "better", "type": "pairwise"}])
    review.create_queue("pairs", "pref")
    added = review.add_comparison("pairs", run_a.run_id, run_b.run_id, metric="exact_match")
    assert added == 8  # base is exactly right on 8 of 12 examples, new on none
    swapped = 0

    def prefer_new(item: Any) -> dict[str, Any]:  # on these 8 examples run A's answer is the bare number
        nonlocal swapped
        shown_a = item.content["answer_a"]
        assert "origin" not in item.content and "run_a" not in str(item.content)
        swapped += not shown_a.isdigit()
        return {"better": {"choice": "b" if shown_a.isdigit() else "a", "reason": "not bare"}}

    _rate_all(review, "pairs", prefer_new)
    assert 0 < swapped < 8  # the order was randomised per item
    rows = review_rows(store, review.export("pairs", kind="preference", name="pairs-set").dataset.ref)
    assert len(rows) == 8 and not any(r["chosen"][0]["content"].isdigit() for r in rows)
    assert all(r["rejected"][0]["content"].isdigit() for r in rows)
    stored = review.ratings("pairs").items
    assert {r.answers["better"]["choice"] for r in stored} == {"b"}  # de-randomised: run B's answer every time
