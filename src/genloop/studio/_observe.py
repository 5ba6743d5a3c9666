"""Presentation helpers of the traces, evaluations and deployments pages: a trace's messages as a
conversation, spans laid out as a waterfall, and a word-level diff of two outputs. Each returns plain
values that templates render escaped; none writes HTML itself."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from genloop.tracing import SpanInfo

__all__ = ["Bar", "conversation", "preview", "waterfall", "word_diff"]

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
MAX_DIFF_TOKENS = 4000


def conversation(input_: Any, output: Any) -> list[tuple[str, str]] | None:
    """``[(role, text), ...]`` when the trace holds chat messages (and its answer), else None."""
    messages = input_.get("messages") if isinstance(input_, dict) else input_
    if not isinstance(messages, list) or not all(isinstance(m, dict) and "role" in m for m in messages):
        return None
    turns = [(str(m.get("role")), _text(m.get("content"))) for m in messages]
    answers = output if isinstance(output, list) else [output]
    for answer in answers:
        if isinstance(answer, dict):
            answer = answer.get("content", answer)
        if answer is not None:
            turns.append(("assistant", _text(answer)))
    return turns


def preview(input_: Any, size: int = 160) -> str:
    """A one-line glimpse of a trace's input: the last user message, else the JSON text, cut to ``size``."""
    turns = conversation(input_, None)
    if turns:
        users = [text for role, text in turns if role == "user"] or [turns[-1][1]]
        text = users[-1]
    else:
        text = input_ if isinstance(input_, str) else "" if input_ is None else str(input_)
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 1] + "…"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multi-part content: the text parts
        return "\n".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)


@dataclass(frozen=True)
class Bar:
    """One span drawn in the waterfall: its offset and width as percentages of the trace's span."""

    span: SpanInfo
    depth: int
    left: float
    width: float
    start_ms: float


def waterfall(spans: list[SpanInfo]) -> tuple[list[Bar], float]:
    """The spans as bars on a shared time axis (children under their parent), and the total in ms."""
    if not spans:
        return [], 0.0
    t0 = min(s.started_at for s in spans)
    ends = [(s.started_at - t0).total_seconds() * 1000 + (s.duration_ms or 0.0) for s in spans]
    total = max(max(ends), 1e-3)
    ids = {s.span_id: s for s in spans}
    depth: dict[str, int] = {}

    def level(span: SpanInfo, seen: int = 0) -> int:
        if span.span_id in depth:
            return depth[span.span_id]
        parent = ids.get(span.parent_span_id or "")
        value = 0 if parent is None or seen > 32 else level(parent, seen + 1) + 1
        depth[span.span_id] = value
        return value

    bars = []
    for span in spans:
        start = (span.started_at - t0).total_seconds() * 1000
        bars.append(Bar(span=span, depth=min(level(span), 12), left=round(100 * start / total, 3),
                        width=round(max(100 * (span.duration_ms or 0.0) / total, 0.4), 3), start_ms=round(start, 3)))
    return bars, round(total, 3)


def word_diff(a: str | None, b: str | None) -> list[tuple[str, str]]:
    """``[(op, text), ...]`` with op ``=``, ``-`` (only in a) or ``+`` (only in b), word by word; very long
    texts (over 4,000 tokens each) are shown whole as removed and added instead of diffed."""
    left, right = _TOKEN.findall(a or ""), _TOKEN.findall(b or "")
    if len(left) > MAX_DIFF_TOKENS or len(right) > MAX_DIFF_TOKENS:
        return [("-", a or ""), ("+", b or "")]
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("=", "".join(left[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", "".join(left[i1:i2])))
        if j2 > j1:
            out.append(("+", "".join(right[j1:j2])))
    return out
