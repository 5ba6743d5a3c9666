"""The demo's synthetic task: normalise free-form dates to ISO 8601, generated from seeded code.

A task a small model can visibly learn in minutes: the input is a date written one of several ways
("March 5, 2024", "5 Mar 2024", "2024/3/5", "the 5th of March 2024"), the target is "2024-03-05".
"""

from __future__ import annotations

import calendar
import random
from typing import Any

__all__ = ["INSTRUCTION", "make_examples", "to_chat", "to_eval"]

INSTRUCTION = "Rewrite the date in ISO format (YYYY-MM-DD)."

_MONTHS = list(calendar.month_name)[1:]
_ABBR = list(calendar.month_abbr)[1:]


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


_FORMATS = [
    lambda y, m, d: f"{_MONTHS[m - 1]} {d}, {y}",
    lambda y, m, d: f"{d} {_ABBR[m - 1]} {y}",
    lambda y, m, d: f"{y}/{m}/{d}",
    lambda y, m, d: f"the {_ordinal(d)} of {_MONTHS[m - 1]} {y}",
    lambda y, m, d: f"{_ABBR[m - 1]} {_ordinal(d)} {y}",
    lambda y, m, d: f"{d}.{m}.{y}",
]


def make_examples(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct examples ``{"text", "iso", "style"}`` drawn with ``seed`` (same seed, same rows)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(rows) < n:
        year, month = rng.randint(1990, 2030), rng.randint(1, 12)
        day = rng.randint(1, calendar.monthrange(year, month)[1])
        style = rng.randrange(len(_FORMATS))
        text = _FORMATS[style](year, month, day)
        if text in seen:
            continue
        seen.add(text)
        rows.append({"text": text, "iso": f"{year:04d}-{month:02d}-{day:02d}", "style": style})
    return rows


def to_chat(row: dict[str, Any]) -> dict[str, Any]:
    """A ``chat`` dataset row (the SFT format): the instruction and date in, the ISO date out."""
    return {"messages": [
        {"role": "system", "content": INSTRUCTION},
        {"role": "user", "content": row["text"]},
        {"role": "assistant", "content": row["iso"]},
    ]}


def to_eval(row: dict[str, Any]) -> dict[str, Any]:
    """An ``eval`` dataset row: the input variables and the reference answer."""
    return {"input": row["text"], "reference": row["iso"], "style": row["style"]}
