"""Retrieval metrics equal trec_eval's (through pytrec_eval) on random rankings; the tool-call trajectory metric
on hand-made cases."""

from __future__ import annotations

import random

import pytest

from genloop.errors import InvalidInput
from genloop.evals.metrics import get_metric

pytrec_eval = pytest.importorskip("pytrec_eval", reason="the reference: pip install pytrec-eval-terrier")

# our metric spec -> the trec_eval measure with the same definition
PAIRS = {
    "hit_rate": ("success", True), "recall_at_k": ("recall", True), "precision_at_k": ("P", True),
    "ndcg_at_k": ("ndcg_cut", True), "mrr": ("recip_rank", False),
}


def _random_case(rng: random.Random, graded: bool) -> tuple[list[str], dict[str, int]]:
    pool = [f"d{i}" for i in range(40)]
    ranking = rng.sample(pool, rng.randint(0, 25))
    relevant = rng.sample(pool, rng.randint(1, 8))
    grades = {doc: (rng.randint(1, 3) if graded else 1) for doc in relevant}
    return ranking, grades


@pytest.mark.parametrize("graded", [False, True], ids=["binary", "graded"])
def test_retrieval_metrics_equal_trec_eval(graded: bool) -> None:
    rng = random.Random(7 + graded)
    cases = {f"q{i}": _random_case(rng, graded) for i in range(300)}
    qrels = {q: grades for q, (_, grades) in cases.items()}
    # scores strictly decreasing with rank, so trec_eval's order is the ranking itself (no tie-breaking by id)
    run = {q: {doc: float(len(ranking) - i) for i, doc in enumerate(ranking)} for q, (ranking, _) in cases.items()}
    for k in (1, 3, 5, 10):
        measures = {f"{measure}_{k}" if cut else measure for measure, cut in PAIRS.values()}
        reference = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
        for ours, (measure, cut) in PAIRS.items():
            metric = get_metric({"name": ours, "k": k} if cut else {"name": ours})
            key = f"{measure}_{k}" if cut else measure
            for q, (ranking, grades) in cases.items():
                item = {"retrieved_ids": ranking, "relevant_ids": grades}
                value = metric.score("", None, item).value
                expected = reference.get(q, {}).get(key, 0.0)
                assert value == pytest.approx(expected, abs=1e-4), (ours, k, q, ranking, grades)


def test_retrieval_metric_edges() -> None:
    ndcg = get_metric({"name": "ndcg_at_k", "k": 3})
    assert ndcg.score("", None, {"retrieved_ids": ["a"], "relevant_ids": []}).value is None  # not applicable
    assert ndcg.score("", None, {"retrieved_ids": '["b", "a"]', "relevant_ids": '["a"]'}).value == pytest.approx(
        1 / 1.584962500721156)  # JSON text columns; 'a' at rank 2
    hit = get_metric("hit_rate")
    assert hit.score("", None, {"retrieved_ids": ["x", "x", "a"], "relevant_ids": ["a"]}).value == 1.0
    with pytest.raises(InvalidInput, match="needs the column 'relevant_ids'"):
        hit.score("", None, {"retrieved_ids": ["a"]})
    with pytest.raises(InvalidInput, match="k must be a positive integer"):
        get_metric({"name": "recall_at_k", "k": 0})
    with pytest.raises(InvalidInput, match="not a list of ids"):
        hit.score("", None, {"retrieved_ids": 5, "relevant_ids": ["a"]})


def test_tool_call_trajectories() -> None:
    search = {"name": "search", "arguments": {"q": "weather Paris"}}
    book = {"name": "book", "arguments": {"city": "Paris"}}
    openai_shaped = [{"id": "c1", "type": "function",
                      "function": {"name": "search", "arguments": '{"q": "weather Paris"}'}}]
    in_order = get_metric("tool_calls")
    item = {"expected_tool_calls": [search, book]}
    assert in_order.score("", None, {**item, "tool_calls": [search, book]}).passed is True
    assert in_order.score("", None, {**item, "tool_calls": [search, {"name": "log"}, book]}).passed is True
    swapped = in_order.score("", None, {**item, "tool_calls": [book, search]})
    assert swapped.passed is False and swapped.value == pytest.approx(0.5)  # one call in order out of two each
    wrong_args = in_order.score("", None, {**item, "tool_calls": [search, {"name": "book", "arguments": {}}]})
    assert wrong_args.passed is False and wrong_args.value == pytest.approx(0.5)
    by_name = get_metric({"name": "tool_calls", "arguments": False})
    assert by_name.score("", None, {**item, "tool_calls": [search, {"name": "book"}]}).passed is True
    as_set = get_metric({"name": "tool_calls", "order": "set"})
    assert as_set.score("", None, {**item, "tool_calls": [book, search]}).value == 1.0
    exact = get_metric({"name": "tool_calls", "order": "exact"})
    assert exact.score("", None, {**item, "tool_calls": [search, {"name": "log"}, book]}).passed is False
    # the calls may come from the output itself, in the OpenAI message shape
    output = '{"role": "assistant", "tool_calls": ' + __import__("json").dumps(openai_shaped) + "}"
    assert in_order.score(output, None, {"expected_tool_calls": [search]}).passed is True
    with pytest.raises(InvalidInput, match="order must be"):
        get_metric({"name": "tool_calls", "order": "sometimes"})
