"""`genloop eval ...` through the real entry point: run with gates and a report, show, items, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from tests.evals.conftest import spec_for


def test_eval_cli(cli: Any, local: Any, golden: str, tmp_path: Path) -> None:
    local.models.register("judgebot", kind="provider", uri="mock:judge", config={"reply": "Score: 4"})
    spec = spec_for(golden, judges=[{"name": "quality", "model": "judgebot"}], metrics=["exact_match"])
    path = tmp_path / "eval.yaml"
    path.write_text(yaml.safe_dump(spec))

    ok = cli("eval", "run", path, "--gate", "new.quality>=4", "--report", "junit", "--output", tmp_path / "r.xml")
    assert ok.code == 0, ok.err
    assert "PASS" not in ok.err and "new" in ok.out and (tmp_path / "r.xml").read_text().startswith("<?xml")

    failed = cli("eval", "run", path, "--gate", "base.exact_match>=0.9", "--json")
    assert failed.code == 1
    assert failed.json()["gates"][0]["message"] == "base.exact_match = 0.6667 >= 0.9: fail (0.2333 short)"
    assert failed.err.strip().endswith("error: 1 of 1 gate(s) failed: base.exact_match>=0.9")
    run_id = failed.json()["run_id"]

    shown = cli("eval", "show", run_id, "--json")
    assert shown.code == 0 and shown.json()["metrics"]["new.quality"] == 4.0
    items = cli("eval", "items", run_id, "--json", "--limit", "5")
    assert items.code == 0 and len(items.json()["items"]) == 5
    listed = cli("eval", "list", "--json")
    assert listed.json()["total"] == 2
    report = cli("eval", "report", run_id, "--format", "markdown")
    assert report.code == 0 and report.out.startswith("# Evaluation qa")
    gate = cli("eval", "gate", run_id, "--gate", "new.quality>4")
    assert gate.code == 1 and gate.out.strip() == "new.quality = 4 > 4: fail (0 short)"

    missing = cli("eval", "run", tmp_path / "nope.yaml")
    assert missing.code == 1 and "does not exist" in missing.err


def test_no_regression_gate_fails_naming_the_metric_and_the_margin(cli: Any, local: Any, golden: str,
                                                                   tmp_path: Path) -> None:
    paths = {}
    for column in ("base", "new"):
        spec = spec_for(golden, name=column, judges=[], metrics=["exact_match", "latency"],
                        candidates=[{"name": "bot", "output_column": column}])
        paths[column] = tmp_path / f"{column}.yaml"
        paths[column].write_text(yaml.safe_dump(spec))
    baseline = cli("eval", "run", paths["base"], "--json")
    assert baseline.code == 0, baseline.err
    base_id = baseline.json()["run_id"]
    worse = cli("eval", "run", paths["new"], "--gate", f"no_regression:{base_id}", "--json")
    assert worse.code == 1  # exact match drops from 8/12 to 0/12: McNemar p = 0.0078
    assert worse.json()["gates"][0]["message"] == (f"no_regression:{base_id}: significantly worse: exact_match "
                                                   "0.6667 -> 0 (-0.6667, p=0.00781): fail")
    same = cli("eval", "gate", base_id, "--gate", f"no_regression:{base_id}")
    assert same.code == 0 and same.out.strip().endswith(": pass")


def test_gates_one_grammar_default_candidate_and_each_verdict_once(cli: Any, local: Any, golden: str,
                                                                    tmp_path: Path) -> None:
    """`exact_match.ci_low>=0.3` on a two-candidate spec means the last candidate's; an unknown name lists what
    can be gated (with the interval forms); a gate in the spec and on the command line is printed once."""
    spec = spec_for(golden, judges=[], metrics=["exact_match"], gates=["exact_match.ci_low>=0.3"])
    path = tmp_path / "eval.yaml"
    path.write_text(yaml.safe_dump(spec))
    run = cli("eval", "run", path, "--gate", "exact_match.ci_low>=0.3", "--gate", "base.exact_match.ci_high<=1")
    verdicts = [line for line in run.out.splitlines() if line.startswith("gate ")]
    assert "cost $0.0000 (what its model calls cost; $0.0000 of it spent now, the rest answered from the call " \
        "cache)" in run.out  # what `cost ... (spent ...)` meant
    assert verdicts == ["gate new.exact_match.ci_low = 0 >= 0.3: fail (0.3 short)",
                        "gate base.exact_match.ci_high = 0.8619 <= 1: pass"], run.out
    assert run.out.count("exact_match.ci_low =") == 1 and "exact_match.ci_low" not in run.err.replace(
        "exact_match.ci_low>=0.3", "")
    unknown = cli("eval", "gate", local.evals.list().items[0].id, "--gate", "exact_mach>=0.3")
    assert unknown.code == 1
    assert "no metric 'exact_mach'; a name without a candidate means the last one, 'new'" in unknown.out
    assert "new.exact_match[.ci_low|.ci_high]" in unknown.out and "base.exact_match[.ci_low|.ci_high]" in unknown.out
    bad = cli("eval", "gate", local.evals.list().items[0].id, "--gate", "exact_match=>0.3")
    assert bad.code == 1 and "[CANDIDATE.]METRIC[.ci_low|.ci_high] OP NUMBER" in bad.err


def test_items_show_why_a_judge_verdict_could_not_be_read(cli: Any, local: Any, golden: str,
                                                          tmp_path: Path) -> None:
    local.models.register("mumbler", kind="provider", uri="mock:judge", config={"reply": "Hard to say, really."})
    spec = spec_for(golden, judges=[{"name": "quality", "model": "mumbler"}], metrics=["exact_match"],
                    candidates=[{"name": "new", "output_column": "new"}])
    path = tmp_path / "eval.yaml"
    path.write_text(yaml.safe_dump(spec))
    run = cli("eval", "run", path, "--json")
    items = cli("eval", "items", run.json()["run_id"], "--limit", "1")
    assert "quality: unread (" in items.out and "it said 'Hard to say, really.'" in items.out, items.out
    shown = cli("eval", "show", run.json()["run_id"][:10])
    assert "judge quality, example " in shown.out and "it said 'Hard to say, really.'" in shown.out, shown.out
    raw = cli("eval", "items", run.json()["run_id"], "--limit", "1", "--json").json()["items"][0]
    assert raw["judgments"]["quality"]["samples"][0]["raw"] == "Hard to say, really."
