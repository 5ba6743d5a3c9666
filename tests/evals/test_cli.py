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
    assert "gate base.exact_match>=0.9 failed: base.exact_match = 0.6667, 0.2333 below 0.9" in failed.err
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
    assert gate.code == 1 and "failed" in gate.err

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
    assert (f"gate no_regression:{base_id} failed: significant regression: exact_match 0.6667 -> 0 (-0.6667, "
            "p=0.00781)") in worse.err
    same = cli("eval", "gate", base_id, "--gate", f"no_regression:{base_id}")
    assert same.code == 0 and "passed" in same.out + same.err
