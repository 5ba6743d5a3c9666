"""Applying actions to text: overlapping findings are merged, then each span is redacted or masked.

``redact`` replaces a span with ``[REDACTED:<category>]`` for good. ``mask`` replaces it with a placeholder
such as ``<<EMAIL_1>>`` and remembers the original in a :class:`MaskMap`, so the model never sees the value
and :meth:`MaskMap.unmask` puts it back into the model's answer. ``block`` and ``flag`` do not change text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from genloop.guardrails._base import Action, Finding

__all__ = ["MaskMap", "apply_findings", "merge_spans"]

_PLACEHOLDER = re.compile(r"<<[A-Z0-9_]+_\d+>>")
_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")
_TRANSFORMS = (Action.MASK, Action.REDACT)


class MaskMap:
    """Placeholders and the originals they stand for, for one conversation.

    The same value always gets the same placeholder (so the model can still tell two people apart),
    numbered per category: ``<<EMAIL_1>>``, ``<<EMAIL_2>>``, ``<<PHONE_1>>``. Keep one map per conversation
    or request, never per process: it holds the sensitive values.
    """

    __slots__ = ("_counts", "_originals", "_placeholders")

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        self._originals: dict[str, str] = {}  # placeholder -> original
        self._placeholders: dict[str, str] = {}  # original -> placeholder
        self._counts: dict[str, int] = {}
        for placeholder, original in (mapping or {}).items():
            self._remember(placeholder, original)

    def _remember(self, placeholder: str, original: str) -> None:
        self._originals[placeholder] = original
        self._placeholders[original] = placeholder
        prefix, _, number = placeholder[2:-2].rpartition("_")
        self._counts[prefix] = max(self._counts.get(prefix, 0), int(number) if number.isdigit() else 0)

    def placeholder(self, category: str, value: str) -> str:
        """The placeholder for ``value`` (a new one the first time the value is seen)."""
        existing = self._placeholders.get(value)
        if existing is not None:
            return existing
        prefix = _NOT_WORD.sub("_", category).strip("_").upper() or "VALUE"
        number = self._counts.get(prefix, 0) + 1
        placeholder = f"<<{prefix}_{number}>>"
        self._remember(placeholder, value)
        return placeholder

    def unmask(self, text: str, only: Iterable[str] | None = None) -> str:
        """``text`` with every known placeholder (or only those in ``only``) replaced by its original."""
        if not self._originals or "<<" not in text:
            return text
        allowed = None if only is None else frozenset(only)

        def restore(match: re.Match[str]) -> str:
            token = match.group()
            if allowed is not None and token not in allowed:
                return token
            return self._originals.get(token, token)

        return _PLACEHOLDER.sub(restore, text)

    def placeholders(self) -> frozenset[str]:
        """The placeholders handed out so far."""
        return frozenset(self._originals)

    def to_dict(self) -> dict[str, str]:
        """``{placeholder: original}``, to carry the map across processes (it holds the sensitive values)."""
        return dict(self._originals)

    def __len__(self) -> int:
        return len(self._originals)

    def __repr__(self) -> str:
        return f"<MaskMap {len(self)} placeholder(s)>"


def merge_spans(findings: Iterable[Finding]) -> list[tuple[int, int, Finding]]:
    """Merge overlapping ``mask``/``redact`` findings into ``(start, end, winner)`` spans, in order.

    On overlap the strongest action wins (``redact`` over ``mask``), then the longest finding; the merged
    span covers them all, so no fragment of either value survives.
    """
    spans = sorted((f for f in findings if f.action in _TRANSFORMS), key=lambda f: (f.start, -f.end))
    merged: list[tuple[int, int, Finding]] = []
    for f in spans:
        if merged and f.start < merged[-1][1]:
            start, end, best = merged[-1]
            if (f.action.strength, f.end - f.start) > (best.action.strength, best.end - best.start):
                best = f
            merged[-1] = (start, max(end, f.end), best)
        else:
            merged.append((f.start, f.end, f))
    return merged


def apply_findings(text: str, findings: Iterable[Finding], masks: MaskMap | None = None) -> str:
    """``text`` with the ``mask``/``redact`` findings applied (``masks`` is required to mask)."""
    merged = merge_spans(findings)
    if not merged:
        return text
    pieces: list[str] = []
    cursor = 0
    for start, end, best in merged:
        pieces.append(text[cursor:start])
        if best.action is Action.MASK and masks is not None:
            pieces.append(masks.placeholder(best.category, text[start:end]))
        else:
            pieces.append(f"[REDACTED:{best.category}]")
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
