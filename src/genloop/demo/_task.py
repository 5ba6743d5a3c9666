"""The demo's synthetic task: normalise free-form dates to ISO 8601, generated from seeded code.

A task a small model can visibly learn in minutes: the input is a date written one of several ways
("March 5, 2024", "5 Mar 2024", "2024/3/5", "the 5th of March 2024"), the target is "2024-03-05".
"""

from __future__ import annotations

import calendar
import random
from typing import Any

__all__ = ["INSTRUCTION", "make_examples", "pretraining_lines", "to_chat", "to_eval"]

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


_MENTIONS = ["The invoice is dated {}.", "We met on {}.", "Filed {}.", "Due {}.", "Shipped on {} by courier.",
             "The contract starts {}.", "Logged at {}.", "Born {}."]
_PAIRED = ["{text} is {iso}.", "{text}, or {iso}.", "{iso} ({text})", "Written out, {iso} is {text}."]


def pretraining_lines(n: int, seed: int = 0, *, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Plain sentences about dates for pre-training the demo's base model: mentions in either style, and
    sentences that give both styles of one date, never for a date in ``exclude`` (the task's own dates, so no
    task example, and above all no golden one, leaks into the base). The base learns what dates are in plain
    text; it never sees the instruction or a date rewritten in a chat turn, which LoRA tuning teaches."""
    rng = random.Random(seed)
    out: list[str] = []
    for row in make_examples(n + len(exclude), seed=seed + 10_000):
        if len(out) == n:
            break
        if row["iso"] in exclude:
            continue
        pick = rng.random()
        if pick < 0.6:
            out.append(rng.choice(_PAIRED).format(text=row["text"], iso=row["iso"]))
        elif pick < 0.7:
            month = int(row["iso"][5:7])
            out.append(f"{_MONTHS[month - 1]} ({_ABBR[month - 1]}) is month {month}, or {month:02d}.")
        else:
            out.append(rng.choice(_MENTIONS).format(row["iso"] if pick < 0.85 else row["text"]))
    return out
