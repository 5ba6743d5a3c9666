"""Agreement in a queue: per question Cohen's kappa (two raters) and Krippendorff's alpha (any number), per-rater
statistics, and each LLM judge's agreement with the human majority on a queue over eval items.

Values compared per question type: Likert points (ordinal), numbers (interval), true/false, categories (a
multiple choice as its sorted set) and pairwise choices (de-randomised; nominal). Comments and edits are text
and are not compared. Kappa is weighted linearly for ordinal questions and quadratically for interval ones.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from statistics import median
from typing import Any

from pydantic import BaseModel, Field

from genloop.errors import GenLoopError
from genloop.evals._schemas import JudgeAgreement
from genloop.evals.stats import cohen_kappa
from genloop.review._alpha import krippendorff_alpha
from genloop.review._questions import Question

__all__ = ["QuestionAgreement", "QueueAgreement", "RaterAgreement", "question_agreement", "rater_stats"]

_WEIGHTS = {"ordinal": "linear", "interval": "quadratic"}


class QuestionAgreement(BaseModel):
    """Inter-annotator agreement on one question."""

    question: str
    type: str
    level: str
    items: int = Field(description="Items with at least two ratings of this question")
    raters: int
    kappa: float | None = Field(default=None, description="Cohen's kappa, when exactly two raters rated")
    weighted_kappa: float | None = Field(default=None, description="Linear (ordinal) or quadratic (interval) kappa")
    alpha: float | None = Field(default=None, description="Krippendorff's alpha at the question's level")
    warnings: list[str] = Field(default_factory=list)


class RaterAgreement(BaseModel):
    """One rater: how much, how fast, and how often with the majority of the others."""

    rater: str
    rated: int
    seconds_per_item: float | None = None
    agreement_with_majority: float | None = Field(default=None, description="Share of answers equal to the "
                                                                            "majority of the other raters")
    compared: int = 0


class QueueAgreement(BaseModel):
    """Agreement report of a queue."""

    queue: str
    ratings: int
    questions: list[QuestionAgreement]
    raters: list[RaterAgreement]
    judges: list[JudgeAgreement] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


def comparable(question: Question, value: Any) -> Any:
    """The value agreement compares (None: not compared)."""
    if value is None or question.level is None:
        return None
    if question.type == "pairwise":
        return value["choice"]
    if isinstance(value, list):
        return "|".join(value)
    return value


def question_agreement(question: Question, table: dict[int, dict[str, Any]]) -> QuestionAgreement:
    """``table``: item id -> rater -> comparable value."""
    level = question.level or "nominal"
    units = {item: votes for item, votes in table.items() if len(votes) >= 2}
    raters = sorted({r for votes in units.values() for r in votes})
    out = QuestionAgreement(question=question.name, type=question.type, level=level, items=len(units),
                            raters=len(raters))
    if not units:
        out.warnings.append("no item has two ratings of this question: set ratings_per_item >= 2")
        return out
    matrix = [[votes.get(r) for r in raters] for votes in units.values()]
    out.alpha = krippendorff_alpha(matrix, level)  # type: ignore[arg-type]
    if len(raters) == 2:
        first = [row[0] for row in matrix if None not in row]
        second = [row[1] for row in matrix if None not in row]
        if first:
            out.kappa = cohen_kappa(first, second)
            if level in _WEIGHTS:
                out.weighted_kappa = cohen_kappa(first, second, weights=_WEIGHTS[level])
    if out.alpha is None:
        out.warnings.append("agreement is undefined: one value was used throughout")
    if len(units) < 30:
        out.warnings.append(f"only {len(units)} items rated twice or more; estimates are rough")
    return out


def rater_stats(questions: list[Question], ratings: list[Any]) -> list[RaterAgreement]:
    """Per rater: count, mean seconds per item, and agreement with the (leave-one-out) majority."""
    by_item: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for rating in ratings:
        by_item[rating.item_id][rating.rater] = rating.answers
    counts: Counter[str] = Counter(r.rater for r in ratings)
    seconds: dict[str, list[float]] = defaultdict(list)
    for rating in ratings:
        if rating.seconds is not None:
            seconds[rating.rater].append(rating.seconds)
    agree: Counter[str] = Counter()
    compared: Counter[str] = Counter()
    for votes in by_item.values():
        for question in questions:
            values = {r: comparable(question, a.get(question.name)) for r, a in votes.items()}
            values = {r: v for r, v in values.items() if v is not None}
            for rater, value in values.items():
                majority = _majority([v for r, v in values.items() if r != rater])
                if majority is not None:
                    compared[rater] += 1
                    agree[rater] += value == majority
    return [RaterAgreement(rater=r, rated=n, compared=compared[r],
                           seconds_per_item=sum(seconds[r]) / len(seconds[r]) if seconds[r] else None,
                           agreement_with_majority=agree[r] / compared[r] if compared[r] else None)
            for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _majority(values: list[Any]) -> Any:
    """The strict plurality value, or None (no values, or a tie at the top)."""
    top = Counter(values).most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return None
    return top[0][0]


def human_label(question: Question, values: list[Any]) -> Any:
    """The human majority on one item: the median (rounded) for scores, the plurality for the rest."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    if question.type in ("numeric", "likert"):
        return round(median(values))
    return _majority(values)


def judges_vs_humans(evals: Any, questions: list[Question], items: list[tuple[dict[str, Any], list[dict[str, Any]]]],
                     question: str | None, warnings: list[str]) -> list[JudgeAgreement]:
    """Each pointwise judge of the queue's runs against the human majority (``eval validate-judge`` logic).

    ``items``: (origin, answers of each rating) for items from eval runs. The question compared is ``question``,
    else the one named like the judge, else the first score or true/false question.
    """
    scored = [q for q in questions if q.type in ("numeric", "likert", "boolean")]
    if not scored or not items:
        return []
    by_run: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]] = defaultdict(list)
    for origin, answers in items:
        if origin.get("run_id"):
            by_run[origin["run_id"]].append((origin, answers))
    out: list[JudgeAgreement] = []
    for run_id, rated in sorted(by_run.items()):
        result = evals.get(run_id)
        for judge in result.spec.get("judges") or []:
            if judge.get("type") == "pairwise":
                continue
            name = judge["name"]
            chosen = next((q for q in scored if q.name == (question or name)), None) or (None if question else scored[0])
            if chosen is None:
                warnings.append(f"judge {name!r}: the schema has no question {question!r}")
                continue
            labels = {}
            for origin, answers in rated:
                label = human_label(chosen, [a.get(chosen.name) for a in answers])
                if label is not None:
                    labels[f"{origin['example_id']}/{origin['candidate']}"] = label
            try:
                out.append(evals.validate_judge(run_id, name, labels=labels))
            except GenLoopError as exc:
                warnings.append(f"judge {name!r} of run {run_id}: {exc}")
    return out
