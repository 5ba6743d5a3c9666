"""Rating questions: the controls a schema combines, and the check that an answer fits its question.

Question types and the answer each takes:

- ``numeric``: a number in ``[min, max]`` (``integer`` True allows whole numbers only); interval level.
- ``likert``: one of the labelled points, answered by its value ``1..len(points)``; ordinal level.
- ``boolean``: true or false; nominal.
- ``categorical``: one of ``options`` (``multiple``: a list of distinct options); nominal.
- ``comment``: free text.
- ``pairwise``: ``a``, ``b``, ``tie`` or ``both_bad``, or ``{"choice": ..., "reason": "..."}``; nominal.
- ``edit``: the corrected answer as text; ``null`` (or the original unchanged) approves the answer as is.

An answer that does not fit is refused with the values the question allows.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from genloop.errors import InvalidInput
from genloop.refs import validate_name

__all__ = ["LEVELS", "PAIRWISE_CHOICES", "Question", "QuestionType", "check_answers"]

QuestionType = Literal["numeric", "likert", "boolean", "categorical", "comment", "pairwise", "edit"]
PAIRWISE_CHOICES = ("a", "b", "tie", "both_bad")
#: The measurement level agreement uses for each type (None: free text, not compared).
LEVELS: dict[str, str | None] = {"numeric": "interval", "likert": "ordinal", "boolean": "nominal",
                                 "categorical": "nominal", "pairwise": "nominal", "comment": None, "edit": None}


class Question(BaseModel):
    """One question of a rating schema."""

    name: str = Field(description="Key of the answer and name of the feedback it becomes (helpfulness, safe ...)")
    type: QuestionType
    prompt: str = Field(default="", description="What the rater is asked, shown above the control")
    required: bool = True
    min: float | None = Field(default=None, description="numeric: lowest allowed value")
    max: float | None = Field(default=None, description="numeric: highest allowed value")
    integer: bool = Field(default=True, description="numeric: whole numbers only")
    points: list[str] = Field(default_factory=list, description="likert: labels of points 1..n, in order")
    options: list[str] = Field(default_factory=list, description="categorical: the allowed categories")
    multiple: bool = Field(default=False, description="categorical: several options may be chosen")

    @model_validator(mode="after")
    def _check(self) -> Question:
        validate_name(self.name, "question name")
        if self.type == "numeric":
            if self.min is None or self.max is None or not self.min < self.max:
                raise ValueError(f"numeric question {self.name!r} needs min < max (e.g. min 1, max 5)")
        elif self.type == "likert":
            if len(self.points) < 2 or len(set(self.points)) != len(self.points):
                raise ValueError(f"likert question {self.name!r} needs at least 2 distinct labelled points")
        elif self.type == "categorical":
            if len(self.options) < 2 or len(set(self.options)) != len(self.options):
                raise ValueError(f"categorical question {self.name!r} needs at least 2 distinct options")
        return self

    @property
    def level(self) -> str | None:
        """Measurement level for agreement: nominal, ordinal, interval, or None (free text)."""
        if self.type == "categorical" and self.multiple:
            return "nominal"
        return LEVELS[self.type]

    def allowed(self) -> str:
        """The allowed values in words, for error messages and the rating view."""
        if self.type == "numeric":
            kind = "a whole number" if self.integer else "a number"
            return f"{kind} from {_num(self.min)} to {_num(self.max)}"
        if self.type == "likert":
            return ", ".join(f"{i} ({label})" for i, label in enumerate(self.points, 1))
        if self.type == "boolean":
            return "true or false"
        if self.type == "categorical":
            return ("a list of " if self.multiple else "one of ") + ", ".join(self.options)
        if self.type == "pairwise":
            return ", ".join(PAIRWISE_CHOICES) + " (optionally with a reason)"
        return "text"

    def check(self, value: Any) -> Any:
        """The answer normalised, or :class:`InvalidInput` naming the allowed values."""
        bad = InvalidInput(f"answer {value!r} to question {self.name!r} does not fit its {self.type} question",
                           hint=f"allowed: {self.allowed()}", allowed=self.allowed())
        if self.type in ("numeric", "likert"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise bad
            low, high = (self.min, self.max) if self.type == "numeric" else (1, len(self.points))
            if not low <= value <= high or ((self.integer or self.type == "likert") and value != int(value)):  # type: ignore[operator]
                raise bad
            return int(value) if value == int(value) else float(value)
        if self.type == "boolean":
            if not isinstance(value, bool):
                raise bad
            return value
        if self.type == "categorical":
            if self.multiple:
                if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value) \
                        or any(v not in self.options for v in value):
                    raise bad
                return sorted(value, key=self.options.index)
            if value not in self.options:
                raise bad
            return value
        if self.type == "pairwise":
            choice, reason = (value.get("choice"), value.get("reason")) if isinstance(value, dict) else (value, None)
            if choice not in PAIRWISE_CHOICES or (reason is not None and not isinstance(reason, str)):
                raise bad
            return {"choice": choice, "reason": reason or None}
        if not isinstance(value, str):
            raise bad
        return value


def check_answers(questions: list[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """Every answer checked against its question; required questions must be answered, unknown ones are refused."""
    if not isinstance(answers, dict):
        raise InvalidInput("answers must be an object of question name to answer")
    names = {q.name for q in questions}
    unknown = sorted(set(answers) - names)
    if unknown:
        raise InvalidInput(f"unknown question(s) {', '.join(unknown)}", hint=f"this schema asks: {', '.join(names)}")
    out: dict[str, Any] = {}
    for question in questions:
        value = answers.get(question.name)
        if value is None and question.type == "edit":
            out[question.name] = None  # no edit: the answer is approved as it is
            continue
        if value is None or (question.type == "comment" and value == ""):
            if question.required:
                raise InvalidInput(f"question {question.name!r} needs an answer",
                                   hint=f"allowed: {question.allowed()}", allowed=question.allowed())
            continue
        out[question.name] = question.check(value)
    if not out:
        raise InvalidInput("a rating needs at least one answer", hint=f"questions: {', '.join(names)}")
    return out


def _num(value: float | None) -> str:
    return str(int(value)) if value is not None and value == int(value) else str(value)
