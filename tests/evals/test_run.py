"""Running evaluations end to end, in-process and remotely (client-side engine over REST): items, scores,
judge explanations, aggregates with intervals, pairwise verdicts in both orders, and the call cache."""

from __future__ import annotations

from typing import Any

import pytest
from tests.evals.conftest import evals_of, spec_for

from genloop.providers._mock import MockProvider


def test_run_records_items_judgments_and_aggregates(client: Any, golden: str, judge: MockProvider) -> None:
    result = evals_of(client).run(spec_for(golden), providers={"judge": judge})
    assert result.status == "succeeded", result.error
    assert result.reason == "completed"
    assert (result.planned_items, result.completed_items, result.planned_pairs) == (24, 24, 12)
    assert result.dataset == golden
    assert result.metrics["base.correct"] == pytest.approx(4.0)  # 8 right (5) and 4 wrong (2)
    assert result.metrics["new.correct"] == pytest.approx(5.0)
    assert result.metrics["base.correct.pass_rate"] == pytest.approx(8 / 12)
    base = result.aggregates["base"]["correct.pass_rate"]
    assert base.method == "wilson" and base.ci_low < 8 / 12 < base.ci_high
    spread = result.aggregates["base"]["correct"]
    assert spread.method == "bootstrap" and spread.ci_low < 4.0 < spread.ci_high
    pair = result.pairwise[0]
    assert (pair.candidate_a, pair.candidate_b) == ("new", "base")  # later candidates challenge earlier ones
    assert (pair.wins, pair.ties, pair.losses) == (9, 3, 0)
    assert result.metrics["pairwise.win_rate"] == pytest.approx((9 + 1.5) / 12)
    assert result.metrics["pairwise.consistency"] == 1.0
    assert judge.calls == 24 + 12 * 2  # one pointwise call per item, two orders per pair

    page = evals_of(client).items(result.run_id, 0, 50)
    assert page.total == 24
    item = next(i for i in page.items if i.example_id == "q0" and i.candidate == "base")
    assert item.output == "no idea" and item.reference == "0"
    assert item.inputs == {"id": "q0", "question": "What is 0 plus 0?"}
    assert item.scores["correct"] == 2.0
    assert "misses the reference" in item.judgments["correct"]["explanation"]
    assert item.judgments["correct"]["passed"] is False
    verdicts = evals_of(client).pairs(result.run_id, 0, 50).items
    assert len(verdicts) == 12 and all(len(v.orders) == 2 for v in verdicts)

    run = client.runs.get(result.run_id)
    assert run.kind == "eval" and run.status == "succeeded"
    assert f"dataset:{golden}" in run.inputs
    assert any(ref.startswith("prompt:genloop-judge-pointwise@") for ref in run.inputs)
    assert evals_of(client).get(result.run_id).metrics == result.metrics


def test_warm_cache_makes_no_upstream_call(local: Any, golden: str, judge: MockProvider) -> None:
    first = evals_of(local).run(spec_for(golden), providers={"judge": judge})
    calls = judge.calls
    second = evals_of(local).run(spec_for(golden), providers={"judge": judge})
    assert second.run_id != first.run_id  # a succeeded run is not resumed: a new one, served by the cache
    assert judge.calls == calls
    assert second.metrics == first.metrics


def test_candidates_call_models_through_prompts(client: Any, golden: str) -> None:
    client.prompts.create("qa", messages=[{"role": "user", "content": "Q: {{ question }}"}])
    spec = spec_for(golden, judges=[], candidates=[
        {"name": "echo", "prompt": "qa", "model": "mock:echo"},
        {"name": "short", "prompt": "qa@1", "model": "mock:echo", "params": {"max_tokens": 2}},
    ])
    result = evals_of(client).run(spec)
    assert result.status == "succeeded", result.error
    items = {(i.example_id, i.candidate): i for i in evals_of(client).items(result.run_id, 0, 100).items}
    assert items[("q1", "echo")].output == "Q: What is 1 plus 1?"
    assert items[("q1", "short")].output == "Q: What"
    assert items[("q1", "echo")].input_tokens > 0 and items[("q1", "echo")].latency_s is not None
    assert "prompt:qa@1" in client.runs.get(result.run_id).inputs


def test_repeats_and_limit(local: Any, golden: str, judge: MockProvider) -> None:
    spec = spec_for(golden, limit=5, seed=3, repeats=2,
                    judges=[{"name": "correct", "model": "judge:j1", "samples": 3, "use_reference": True}])
    result = evals_of(local).run(spec, providers={"judge": judge})
    assert result.planned_items == 5 * 2 * 2
    assert judge.calls == 5 * 2 * 2 * 3  # each (item, sample) is its own call, the repeats included
    again = evals_of(local).run(spec, providers={"judge": judge})
    ids = {i.example_id for i in evals_of(local).items(again.run_id, 0, 100).items}
    assert len(ids) == 5 and again.metrics == result.metrics


def test_computed_and_custom_metrics(local: Any, golden: str) -> None:
    from genloop.evals.metrics import get_metric, metric

    @metric
    def mentions_good(output: str) -> bool:
        return "good" in output

    spec = spec_for(golden, judges=[], metrics=["exact_match", "rouge_l", "bleu", mentions_good])
    result = evals_of(local).run(spec)
    assert result.status == "succeeded", result.error
    assert result.metrics["base.exact_match"] == pytest.approx(8 / 12)
    assert result.aggregates["base"]["exact_match"].method == "wilson"
    assert result.metrics["new.mentions_good"] == pytest.approx(9 / 12)
    items = [i for i in evals_of(local).items(result.run_id, 0, 100).items if i.candidate == "new"]
    bleu = get_metric("bleu").corpus_score([i.output for i in items], [i.reference for i in items])
    assert result.metrics["new.bleu"] == pytest.approx(bleu.value)  # the corpus score, not a mean of sentences
    assert result.metrics["new.bleu.mean"] == pytest.approx(sum(i.scores["bleu"] for i in items) / 12)
    assert result.metrics["new.bleu"] != pytest.approx(result.metrics["new.bleu.mean"])
    corpus = result.aggregates["new"]["bleu"]
    assert corpus.method.startswith("corpus (interval of the item mean")
    assert (corpus.ci_low, corpus.ci_high) == (result.metrics["new.bleu.mean.ci_low"],
                                               result.metrics["new.bleu.mean.ci_high"])
    assert 0 <= result.metrics["new.rouge_l.ci_low"] <= result.metrics["new.rouge_l"] <= result.metrics[
        "new.rouge_l.ci_high"] <= 1
    assert result.spec["metrics"][3] == {"name": "mentions_good"}


def test_recorded_metrics_read_the_answer(local: Any, golden: str) -> None:
    from genloop.providers._pricing import PriceTable

    local.prompts.create("qa", messages=[{"role": "user", "content": "Q: {{ question }}"}])
    priced = MockProvider(name="priced", prices=PriceTable({"priced:m1": {"input": 1.0, "output": 2.0}}))
    spec = spec_for(golden, judges=[], candidates=[{"name": "bot", "prompt": "qa", "model": "priced:m1"}],
                    metrics=["latency", "tokens", "cost"])
    result = evals_of(local).run(spec, providers={"priced": priced})
    assert result.status == "succeeded", result.error
    items = evals_of(local).items(result.run_id, 0, 100).items
    assert len(items) == 12
    for item in items:
        assert item.scores["latency"] == item.latency_s and item.latency_s is not None
        assert item.scores["tokens"] == item.input_tokens + item.output_tokens > 0
        assert item.scores["cost"] == pytest.approx(item.cost) and item.cost > 0
    for name in ("latency", "tokens", "cost"):
        assert result.aggregates["bot"][name].value is not None and result.aggregates["bot"][name].n == 12
    # one candidate: the ``cost`` metric's mean keeps its key (with its interval); the total is result.cost
    assert result.metrics["cost"] == pytest.approx(sum(i.cost for i in items) / 12)
    assert result.metrics["cost.ci_low"] <= result.metrics["cost"] <= result.metrics["cost.ci_high"]
    assert result.cost == pytest.approx(sum(i.cost for i in items))


def test_json_schema_reads_the_rows_schema(local: Any) -> None:
    schema = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
    rows = [{"id": "a", "question": "one?", "out": '{"n": 1}', "schema": schema},
            {"id": "b", "question": "two?", "out": '{"n": "two"}', "schema": schema}]
    version = local.datasets.create("structured", rows, kind="generic")
    spec = spec_for(f"structured@{version.version}", judges=[], metrics=["json_schema"],
                    candidates=[{"name": "logged", "output_column": "out"}])
    result = evals_of(local).run(spec)
    assert result.status == "succeeded", result.error
    scores = {i.example_id: i.scores["json_schema"] for i in evals_of(local).items(result.run_id, 0, 10).items}
    assert scores == {"a": 1.0, "b": 0.0}
