"""Reading a judge's answer: JSON first, then the usual plain-text shapes, never a crash.

A pointwise verdict is a score (``{"reasoning": ..., "score": 4}``, or ``Score: 4``, ``Rating: 4/5``,
``[[4]]``); a pairwise verdict names a winner (``{"winner": "A"}``, or ``Winner: B``, ``[[A]]``, ``tie``).
An answer that cannot be read yields a verdict with ``error`` set and the raw text kept, so it is recorded
and counted as unparsed, not dropped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from statistics import mean
from typing import Any

__all__ = ["Verdict", "combine_scores", "majority", "parse_pairwise", "parse_score"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_SCORE_PATTERNS = [
    re.compile(rf"(?:score|rating|grade)\s*(?:is|=|:)?\s*\**\s*\[*\s*{_NUMBER}", re.I),
    re.compile(rf"\[\[\s*{_NUMBER}\s*\]\]"),
    re.compile(rf"\b{_NUMBER}\s*/\s*\d+\b"),
]
_WINNER_PATTERNS = [
    re.compile(r"\[\[\s*(A|B|tie|C)\s*\]\]", re.I),
    re.compile(r"(?:winner|verdict|better(?: response)?|preferred|choice)\s*(?:is|=|:)?\s*\**\s*"
               r"(?:response|assistant|answer)?\s*\(?\s*(A|B|tie)\b", re.I),
]
# A tie said in so many words ("it's a tie", "Verdict: tie", "so: tie", or the answer "tie" alone); the word
# anywhere else (an echoed instruction's 'A or B or tie', "neither ties ...") is no verdict.
_TIE = re.compile(r"^\W*tie\W*$|\b(?:it'?s|it is|this is|that is|result is|call it)\s+(?:a\s+)?tie\b|[:=]\s*\**\s*tie\b",
                  re.I)
_REASON_KEYS = ("reasoning", "explanation", "rationale", "reason", "analysis")


@dataclass
class Verdict:
    """One parsed judge answer: ``value`` (a score, or 'a'/'b'/'tie'), the explanation, the raw text."""

    value: Any
    explanation: str
    raw: str
    error: str | None = None

    def to_json(self, keep_raw: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"value": self.value, "explanation": self.explanation}
        if self.error:
            data["error"] = self.error
        if self.error or keep_raw:
            data["raw"] = self.raw[:4000]
        return data


def _json_object(text: str) -> dict[str, Any] | None:
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start:end + 1])
    for chunk in candidates:
        try:
            value = json.loads(chunk.strip())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _explanation(obj: dict[str, Any] | None, text: str) -> str:
    if obj:
        for key in _REASON_KEYS:
            if isinstance(obj.get(key), str):
                return str(obj[key])
    return text.strip()[:2000]


def parse_score(text: str, low: float, high: float) -> Verdict:
    """A score within [low, high] from a judge's answer, or a verdict whose ``error`` says why not."""
    text = text or ""
    obj = _json_object(text)
    value: Any = None
    if obj is not None:
        for key in ("score", "rating", "grade"):
            if key in obj:
                value = obj[key]
                break
    if value is None:
        for pattern in _SCORE_PATTERNS:
            found = pattern.findall(text)
            if found:
                value = found[-1]
                break
    if value is None:
        return Verdict(None, _explanation(obj, text), text, "no score found in the judge's answer")
    try:
        score = float(value)
    except (TypeError, ValueError):
        return Verdict(None, _explanation(obj, text), text, f"score {value!r} is not a number")
    if not low <= score <= high:
        return Verdict(None, _explanation(obj, text), text, f"score {score:g} is outside the scale {low:g}-{high:g}")
    return Verdict(score, _explanation(obj, text), text)


def _winner(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    word = value.strip().strip("[]().*\"' ").lower()
    if word in {"a", "response a", "assistant a", "1"}:
        return "a"
    if word in {"b", "response b", "assistant b", "2"}:
        return "b"
    if word in {"tie", "c", "draw", "equal", "both", "neither"}:
        return "tie"
    return None


def parse_pairwise(text: str) -> Verdict:
    """'a', 'b' or 'tie' from a pairwise judge's answer (positions as shown), or an unparsed verdict."""
    text = text or ""
    obj = _json_object(text)
    if obj is not None:
        for key in ("winner", "verdict", "preferred", "choice", "better"):
            winner = _winner(obj.get(key))
            if winner:
                return Verdict(winner, _explanation(obj, text), text)
    for pattern in _WINNER_PATTERNS:
        found = pattern.findall(text)
        if found:
            winner = _winner(found[-1])
            if winner:
                return Verdict(winner, _explanation(obj, text), text)
    if _TIE.search(text):
        return Verdict("tie", _explanation(obj, text), text)
    return Verdict(None, _explanation(obj, text), text, "no winner (A, B or tie) found in the judge's answer")


def majority(values: list[Any]) -> Any:
    """The most common value; a tie between the top values yields None for labels, or 'tie' for winners."""
    if not values:
        return None
    counts = Counter(values).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return "tie" if all(v in {"a", "b", "tie"} for v in values) else None
    return counts[0][0]


def combine_scores(values: list[float], how: str) -> float | None:
    """Several samples' scores as one: their mean, or the majority score (median on a tie)."""
    if not values:
        return None
    if how == "mean":
        return float(mean(values))
    top = Counter(values).most_common()
    if len(top) > 1 and top[0][1] == top[1][1]:
        ordered = sorted(values)
        return float(ordered[len(ordered) // 2])
    return float(top[0][0])
