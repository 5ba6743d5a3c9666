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

    spec = spec_for(golden, judges=[], metrics=["exact_match", "rouge_l", "bleu", mentions_good, "chrf"])
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
    for name in ("bleu", "chrf"):  # the interval is the corpus score's own (a bootstrap over segments)
        corpus = result.aggregates["base"][name]
        assert corpus.method == "corpus (bootstrap over segments)" and corpus.n == 12
        assert corpus.ci_low <= corpus.value <= corpus.ci_high
    assert result.aggregates["base"]["chrf"].ci_low < result.aggregates["base"]["chrf"].ci_high
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


def test_latency_is_the_calls_own_not_the_time_queued_behind_others(local: Any, golden: str) -> None:
    local.prompts.create("qa", messages=[{"role": "user", "content": "Q: {{ question }}"}])
    slow = MockProvider(name="slow", latency_ms=100)
    spec = spec_for(golden, judges=[], limit=2, concurrency=1, metrics=["latency"],
                    candidates=[{"name": f"c{k}", "prompt": "qa", "model": f"slow:m{k}"} for k in range(3)])
    result = evals_of(local).run(spec, providers={"slow": slow})
    assert result.status == "succeeded", result.error
    latencies = [i.latency_s for i in evals_of(local).items(result.run_id, 0, 10).items]
    # one call at a time: the third candidate of an example waits 200 ms for the other two, which is not latency
    # (a 100 ms timer may fire a few microseconds early: the lower bound only says the call itself was timed)
    assert len(latencies) == 6 and all(0.09 <= x < 0.2 for x in latencies), latencies


def test_measurements_get_bootstrap_intervals_and_logged_outputs_no_invented_usage(local: Any) -> None:
    rows = [{"id": f"r{i}", "question": f"q{i}?", "out": "yes" if i % 2 else "no", "reference": "yes",
             "latency_s": 0.5 + i / 10}
            for i in range(10)]
    version = local.datasets.create("logged", rows, kind="generic")
    spec = spec_for(f"logged@{version.version}", judges=[], candidates=[{"name": "log", "output_column": "out"}],
                    metrics=[{"name": "length", "unit": "words"}, "tokens", "latency", "exact_match"])
    result = evals_of(local).run(spec)
    assert result.status == "succeeded", result.error
    length = result.aggregates["log"]["length"]  # every answer is one word: a constant, not a rate of 100%
    assert (length.method, length.value, length.ci_low, length.ci_high) == ("bootstrap", 1.0, 1.0, 1.0)
    assert result.aggregates["log"]["tokens"].n == 0  # nothing was called: no usage, not zero usage
    assert result.aggregates["log"]["latency"].value == pytest.approx(0.95)  # the row's logged latency
    assert result.aggregates["log"]["exact_match"].method == "wilson"
    item = evals_of(local).items(result.run_id, 0, 1).items[0]
    assert item.scores["tokens"] is None and item.scores["latency"] == 0.5


def test_a_verdict_that_flips_with_the_order_is_a_tie(local: Any, golden: str) -> None:
    prompts: list[str] = []

    def first_one_wins(request: Any) -> str:  # pure position bias: whichever answer is shown first wins
        prompts.append(request.messages[-1]["content"])
        return '{"reasoning": "the first is better", "winner": "A"}'

    biased = MockProvider(name="judge", reply=first_one_wins)
    spec = spec_for(golden, judges=[{"name": "pairwise", "type": "pairwise", "model": "judge:j2",
                                     "rubric": "Is it terse?", "use_reference": True}])
    result = evals_of(local).run(spec, providers={"judge": biased})
    assert result.status == "succeeded", result.error
    pair = result.pairwise[0]
    assert (pair.wins, pair.ties, pair.losses, pair.n) == (0, 12, 0, 12)
    assert result.metrics["pairwise.consistency"] == 0.0 and result.metrics["pairwise.win_rate"] == 0.5
    verdict = evals_of(local).pairs(result.run_id, 0, 1).items[0]
    assert [o["swapped"] for o in verdict.orders] == [False, True] and verdict.consistent is False
    assert biased.calls == 24 and all("Rubric: Is it terse?" in p and "[Reference answer]" in p for p in prompts)


def test_pointwise_prompt_shows_the_rubric_anchors_and_asks_for_reasons_first(local: Any, golden: str) -> None:
    seen: list[str] = []
    grader = MockProvider(name="judge", reply=lambda r: seen.append(r.messages[-1]["content"]) or "Score: 3")
    spec = spec_for(golden, limit=1, judges=[{"name": "q", "model": "judge:j1", "scale": [0, 2],
                                              "anchors": {0: "wrong", 1: "partly", 2: "right"}}])
    result = evals_of(local).run(spec, providers={"judge": grader})
    assert result.judges["q"]["unscored_items"] == 2  # 3 is outside the 0-2 scale: recorded as unparsed
    assert "0: wrong\n1: partly\n2: right" in seen[0] and "First reason" in seen[0].split("[Response]")[1]
    assert "[Reference answer]" not in seen[0]  # use_reference is off


@pytest.mark.parametrize("baseline", [None, "base"])
def test_pairwise_win_rate_is_the_challengers_with_or_without_a_baseline(local: Any, golden: str, judge: MockProvider,
                                                                          baseline: str | None) -> None:
    """Same verdicts, same meaning: `new` (the later candidate) wins 9, ties 3, whether or not `base` is named
    the baseline, so a gate `pairwise.win_rate>0.5` tests the challenger either way, and the result says so."""
    pairwise = {"name": "pairwise", "type": "pairwise", "model": "judge:j2", "baseline": baseline}
    result = evals_of(local).run(spec_for(golden, judges=[pairwise], gates=["pairwise.win_rate>0.5"]),
                                 providers={"judge": judge})
    assert result.status == "succeeded", result.error
    pair = result.pairwise[0]
    assert (pair.candidate_a, pair.candidate_b, pair.win_rate_of, pair.against) == ("new", "base", "new", "base")
    assert (pair.wins, pair.ties, pair.losses) == (9, 3, 0)
    assert result.metrics["pairwise.win_rate"] == pytest.approx((9 + 1.5) / 12)
    assert all(g.passed for g in result.gates)
    assert "| win rate of |" in local.evals.report(result.run_id, "markdown")


def test_all_ties_widen_the_interval_so_a_position_biased_judge_fails_the_gate(local: Any, golden: str) -> None:
    biased = MockProvider(name="judge", reply=lambda request: '{"reasoning": "first", "winner": "A"}')
    spec = spec_for(golden, judges=[{"name": "pairwise", "type": "pairwise", "model": "judge:j2"}],
                    gates=["pairwise.win_rate.ci_low>=0.5"])
    result = evals_of(local).run(spec, providers={"judge": biased})
    pair = result.pairwise[0]
    assert (pair.wins, pair.ties, pair.losses) == (0, 12, 0)
    assert pair.ci_low < 0.5 < pair.ci_high and pair.method.startswith("wilson")
    assert result.metrics["pairwise.win_rate.ci_low"] == pair.ci_low
    assert not result.gates[0].passed
