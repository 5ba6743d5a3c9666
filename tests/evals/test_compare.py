"""Comparing runs (paired tests, win/tie/loss, top changes, power warning), Bradley-Terry rankings, judge
validation against human labels, gates and reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from tests.evals.conftest import evals_of, spec_for

from genloop.errors import InvalidInput
from genloop.providers._mock import MockProvider


def one(golden: str, column: str, **extra: Any) -> dict[str, Any]:
    return spec_for(golden, name=column, candidates=[{"name": "bot", "output_column": column}],
                    judges=[], metrics=["exact_match", "token_f1"], **extra)


def test_compare_two_runs_on_shared_items(client: Any, golden: str) -> None:
    a = evals_of(client).run(one(golden, "base"))
    b = evals_of(client).run(one(golden, "new"))
    comparison = evals_of(client).compare(a.run_id, b.run_id, top=3)
    assert comparison.shared == 12 and (comparison.candidate_a, comparison.candidate_b) == ("bot", "bot")
    exact = next(m for m in comparison.metrics if m.metric == "exact_match")
    assert exact.test == "McNemar (exact binomial)"  # 8 discordant pairs: below 25, the exact test
    assert (exact.mean_a, exact.mean_b) == (pytest.approx(8 / 12), pytest.approx(0.0))
    assert exact.losses == 8 and exact.delta == pytest.approx(-8 / 12)
    assert exact.significant and exact.p_value < 0.05
    f1 = next(m for m in comparison.metrics if m.metric == "token_f1")
    assert f1.test == "sign-flip permutation" and f1.ci_low <= f1.delta <= f1.ci_high
    assert len(comparison.top_changes) == 3 and comparison.top_changes[0].output_a is not None
    small = evals_of(client).compare(a.run_id, b.run_id, min_effect=0.01)
    assert any("too few" in w for w in small.warnings)


def test_compare_needs_a_candidate_when_a_run_has_several(local: Any, golden: str) -> None:
    run = evals_of(local).run(spec_for(golden, judges=[], metrics=["exact_match"]))
    with pytest.raises(InvalidInput, match="2 candidates"):
        evals_of(local).compare(run.run_id, run.run_id)
    same = evals_of(local).compare(run.run_id, run.run_id, candidate_a="base", candidate_b="new")
    assert same.metrics[0].metric == "exact_match"


def test_three_candidates_are_ranked_with_bradley_terry(local: Any, golden: str, judge: MockProvider) -> None:
    spec = spec_for(golden, candidates=[{"name": "base", "output_column": "base"},
                                        {"name": "new", "output_column": "new"},
                                        {"name": "ref", "output_column": "reference"}],
                    judges=[{"name": "pairwise", "type": "pairwise", "model": "judge:j2"}])
    result = evals_of(local).run(spec, providers={"judge": judge})
    assert len(result.pairwise) == 3
    assert [r.candidate for r in result.ranking][0] == "new"
    assert all(r.ci_low is not None for r in result.ranking)
    assert "pairwise.new_vs_base.win_rate" in result.metrics and "bt.new" in result.metrics


def test_validate_judge_against_human_labels(local: Any, golden: str, judge: MockProvider, tmp_path: Any) -> None:
    run = evals_of(local).run(spec_for(golden), providers={"judge": judge})
    human = {f"q{i}/base": (5 if i % 3 else 2) for i in range(12)}
    human["q1/base"] = 2  # one disagreement
    human.update({f"q{i}/new": 5 for i in range(12)})
    agreement = evals_of(local).validate_judge(run.run_id, "correct", labels=human)
    assert agreement.n == 24 and agreement.accuracy == pytest.approx(23 / 24)
    assert agreement.labels == ["2", "5"] and agreement.confusion == [[4, 1], [0, 19]]
    assert 0 < agreement.kappa < 1
    assert not any("kappa" in w for w in agreement.warnings)
    one_label = evals_of(local).validate_judge(run.run_id, "correct", labels={f"q{i}/new": 5 for i in range(12)})
    assert one_label.accuracy == 1.0 and one_label.labels == ["5"]
    assert one_label.kappa is None  # undefined (chance agreement is certain), not a perfect 1.0
    assert any("kappa is undefined" in w for w in one_label.warnings)
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps({"example_id": f"q{i}", "label": "new" if i % 4 else "tie"})
                              for i in range(12)))
    pairwise = evals_of(local).validate_judge(run.run_id, "pairwise", labels=path)
    assert pairwise.accuracy == 1.0 and pairwise.human_win_rate == pairwise.judge_win_rate


def test_gates_and_reports(client: Any, golden: str, judge: MockProvider) -> None:
    result = evals_of(client).run(spec_for(golden), providers={"judge": judge},
                                  gates=["new.correct>=4.5", "pairwise.win_rate>0.9", "base.correct.ci_low>=1"])
    gates = {g.gate: g for g in result.gates}
    assert gates["new.correct>=4.5"].passed
    failed = gates["pairwise.win_rate>0.9"]
    assert not failed.passed and "0.875" in failed.message and failed.message == "pairwise.win_rate = 0.875 > 0.9: fail (0.025 short)"
    assert evals_of(client).get(result.run_id).gates == result.gates
    with pytest.raises(AssertionError, match="pairwise.win_rate>0.9"):
        result.assert_gates()
    assert result.assert_gates("new.correct>4")[0].passed
    again = evals_of(client).check_gates(result.run_id, ["nope>1", f"no_regression:{result.run_id}"])
    assert not again[0].passed and "no metric 'nope'" in again[0].message
    assert again[1].passed
    markdown = evals_of(client).report(result.run_id, "markdown")
    assert "| new | correct |" in markdown and "FAIL" in markdown
    html = evals_of(client).report(result.run_id, "html")
    assert html.startswith("<!doctype html>") and "<script" not in html and "q11" in html
    body = json.loads(evals_of(client).report(result.run_id, "json"))
    assert body["result"]["run_id"] == result.run_id and len(body["items"]) == 24
    suite = ET.fromstring(evals_of(client).report(result.run_id, "junit"))
    assert suite.get("failures") == "1" and suite.find("testcase/failure") is not None
    assert "correct" in evals_of(client).report(result.run_id, "table")
    with pytest.raises(InvalidInput, match="unknown report format"):
        evals_of(client).report(result.run_id, "pdf")


def test_invalid_gate_is_refused_before_the_run(local: Any, golden: str) -> None:
    with pytest.raises(InvalidInput, match="invalid gate"):
        evals_of(local).run(spec_for(golden, judges=[]), gates=["rouge_l>>1"])
    assert local.runs.list(kind="eval").total == 0


def test_pytest_fixture(genloop_eval: Any, local: Any, golden: str, judge: MockProvider) -> None:
    result = genloop_eval(spec_for(golden), client=local, providers={"judge": judge})
    result.assert_gates("new.correct>=4.5", "pairwise.win_rate>0.5")


def test_lower_is_better_metrics_count_wins_and_regressions_their_way(local: Any, golden: str) -> None:
    """A metric whose lower values are better (here: characters of hedging) wins when B is lower, and a
    significant rise fails ``no_regression`` while a significant fall passes it."""
    from genloop.evals.metrics import metric

    @metric(name="extra_chars", higher_is_better=False)
    def extra_chars(output: str, reference: list[str]) -> float:
        return float(len(output) - len(reference[0]))

    def run(column: str) -> Any:
        return evals_of(local).run(spec_for(golden, name=column, candidates=[{"name": "bot", "output_column": column}],
                                            judges=[], metrics=["exact_match", extra_chars]))

    tight, wordy = run("reference"), run("new")  # "new" adds " (good)" or "= " to most answers
    assert wordy.directions["extra_chars"] is False
    worse = next(m for m in evals_of(local).compare(tight.run_id, wordy.run_id).metrics if m.metric == "extra_chars")
    assert worse.higher_is_better is False and worse.delta > 0 and worse.significant
    assert (worse.wins, worse.losses) == (0, 12)  # every item got longer: a loss each time
    assert worse.ci_low <= worse.delta <= worse.ci_high
    better = next(m for m in evals_of(local).compare(wordy.run_id, tight.run_id).metrics if m.metric == "extra_chars")
    assert (better.wins, better.losses) == (12, 0) and better.delta < 0
    (gate,) = evals_of(local).check_gates(wordy.run_id, [f"no_regression:{tight.run_id}"])
    assert not gate.passed and "extra_chars" in gate.message
    (gate,) = evals_of(local).check_gates(tight.run_id, [f"no_regression:{wordy.run_id}"])
    assert gate.passed, gate.message


def test_a_gate_threshold_must_be_finite() -> None:
    from genloop.evals._gates import parse_gate

    for text in ("exact_match>=1e999", "exact_match.ci_low<=-1e400"):
        with pytest.raises(InvalidInput, match="not a finite number"):
            parse_gate(text)
    assert parse_gate("exact_match>=1e-3") == ("exact_match", ">=", 0.001)
