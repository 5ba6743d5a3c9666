"""Judge validation: how a judge's verdicts agree with human labels on the same items.

Labels come from a dataset column (one per example), a mapping, or a JSONL/CSV file with ``example_id``,
``label`` and, when a run has several candidates, ``candidate``. Pointwise judges are compared on the score
(rounded to the scale) or on pass/fail when the labels are booleans; pairwise judges on the winner
(``a``/``b``/``tie``, or the winning candidate's name).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from genloop.errors import Hint, InvalidInput, NotFound
from genloop.evals import stats
from genloop.evals._schemas import EvalItem, EvalPair, EvalResult, JudgeAgreement

__all__ = ["judge_agreement", "load_labels"]

_TRUE = {"true", "pass", "passed", "yes", "1", "good"}
_FALSE = {"false", "fail", "failed", "no", "0", "bad"}


def load_labels(*, source: dict[str, Any] | str | Path | None = None, column: str | None = None,
                spec: dict[str, Any] | None = None, dataset: str | None = None, datasets: Any = None
                ) -> dict[str, Any]:
    """Human labels keyed by example id (or ``example_id/candidate``)."""
    if column is not None:
        from genloop.evals._datasets import load_rows

        if dataset is None or spec is None:
            raise InvalidInput("this run has no pinned dataset to read labels from", hint="pass a labels file")
        _, columns, rows = load_rows(datasets, dataset)
        if column not in columns:
            raise InvalidInput(f"dataset {dataset} has no column {column!r}", hint=f"its columns: {', '.join(columns)}")
        id_column = spec.get("id_column")
        return {(str(r[id_column]) if id_column else str(i)): r[column] for i, r in enumerate(rows)
                if r.get(column) is not None}
    if isinstance(source, dict):
        return {str(k): v for k, v in source.items()}
    if source is None:
        raise InvalidInput("no human labels given", hint=Hint(cli="pass --labels FILE or --labels-column COLUMN",
                                                                    sdk="pass labels= (a file or a dict) or labels_column=",
                                                                    rest='send "labels" or "labels_column"'))
    path = Path(source)
    if not path.exists():
        raise NotFound(f"labels file {str(path)!r} does not exist")
    labels: dict[str, Any] = {}
    if path.suffix.lower() == ".csv":
        with path.open(newline="") as handle:
            records = list(csv.DictReader(handle))
    else:
        records = []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    raise InvalidInput(f"{path}:{number}: not valid JSON: {exc}") from None
    for number, record in enumerate(records, 1):
        if "example_id" not in record or "label" not in record:
            raise InvalidInput(f"{path}: record {number} needs 'example_id' and 'label'")
        key = str(record["example_id"])
        if record.get("candidate"):
            key = f"{key}/{record['candidate']}"
        labels[key] = record["label"]
    return labels


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def judge_agreement(result: EvalResult, judge: str, items: list[EvalItem], pairs: list[EvalPair],
                    human: dict[str, Any]) -> JudgeAgreement:
    """Accuracy (with a Wilson interval), Cohen's kappa, confusion matrix and win rates for ``judge``.
    Kappa is None (with a warning) when one label is used throughout: it is undefined there, not 1.0."""
    spec_judges = {j["name"]: j for j in result.spec.get("judges") or []}
    if judge not in spec_judges:
        raise NotFound(f"run {result.run_id} has no judge {judge!r}",
                       hint=f"its judges: {', '.join(spec_judges) or 'none'}")
    pairs_of = [p for p in pairs if p.judge == judge]
    pairs_mode = spec_judges[judge].get("type") == "pairwise"
    pairs_judged: list[tuple[Any, Any]] = []
    missing = 0
    warnings: list[str] = []
    if pairs_mode:
        for p in pairs_of:
            label = human.get(f"{p.example_id}/{p.candidate_a}_vs_{p.candidate_b}", human.get(p.example_id))
            if label is None or p.winner is None or p.repeat:
                missing += label is None
                continue
            text = str(label).strip().lower()
            mapped = {p.candidate_a.lower(): "a", p.candidate_b.lower(): "b"}.get(text, text)
            if mapped not in {"a", "b", "tie"}:
                raise InvalidInput(f"label {label!r} for example {p.example_id}: use a, b, tie or a candidate name")
            pairs_judged.append((mapped, p.winner))
    else:
        scale = spec_judges[judge].get("scale") or [1, 5]
        for item in items:
            verdict = item.judgments.get(judge) or {}
            label = human.get(f"{item.example_id}/{item.candidate}", human.get(item.example_id))
            if label is None or verdict.get("score") is None or item.repeat:
                missing += label is None
                continue
            flag = _bool(label) if not isinstance(label, (int, float)) or isinstance(label, bool) else None
            if flag is not None:
                passed = verdict.get("passed")
                if passed is None:
                    threshold = spec_judges[judge].get("pass_threshold") or (scale[0] + scale[1]) / 2
                    passed = verdict["score"] >= threshold
                pairs_judged.append(("pass" if flag else "fail", "pass" if passed else "fail"))
            else:
                try:
                    pairs_judged.append((round(float(label)), round(float(verdict["score"]))))
                except (TypeError, ValueError):
                    raise InvalidInput(f"label {label!r} for example {item.example_id} is neither a score "
                                       "nor pass/fail") from None
    if not pairs_judged:
        raise InvalidInput(f"no item has both a human label and a verdict of judge {judge!r}",
                           hint="check that the labels' example ids match the run's (genloop eval items RUN)")
    report = stats.judge_agreement([h for h, _ in pairs_judged], [j for _, j in pairs_judged])
    if report.n < 30:
        warnings.append(f"only {report.n} labelled items; agreement estimates are rough")
    if report.kappa is None:  # 0/0: agreement by chance is certain, so kappa says nothing (not a perfect 1.0)
        warnings.append(f"kappa is undefined: humans and judge used one label throughout ({report.labels[0]!r}); "
                        "label items of more than one kind to measure agreement beyond chance")
    return JudgeAgreement(run_id=result.run_id, judge=judge, n=report.n, accuracy=report.accuracy.estimate,
                          accuracy_ci_low=report.accuracy.low, accuracy_ci_high=report.accuracy.high,
                          kappa=report.kappa, labels=report.labels, confusion=report.confusion,
                          human_win_rate=report.human_win_rate, judge_win_rate=report.judge_win_rate,
                          missing=missing, warnings=warnings)
