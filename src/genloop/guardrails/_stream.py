"""Checking a streamed answer: emit text as soon as it is safe, redacting over a sliding window.

The stream holds back the last ``window`` characters (the longest span a pattern is expected to cover),
so a secret split across deltas is still seen whole before any of it is emitted. Each time a quarter
window more than a window is pending, the pending text (plus a little already-emitted context, for word boundaries) is
scanned with the policy's streamable output checks; text before the cut is transformed and emitted. The cut
prefers a whitespace boundary and never falls inside a finding or a mask placeholder. A finding that keeps
growing (a PEM private key block) is held up to ``max_hold`` characters. Whole-text checks (length, JSON
Schema, classifiers) run once on the complete answer in :meth:`StreamGuard.finish`; by then the text is
sent, so there they can record (``flag``) or end the stream (``block``) but not rewrite it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from genloop.guardrails._base import Action, Finding
from genloop.guardrails._engine import GuardResult, block_reason
from genloop.guardrails._masking import _PLACEHOLDER, MaskMap, apply_findings

if TYPE_CHECKING:
    from genloop.guardrails._engine import Guard

__all__ = ["StreamGuard"]

_CONTEXT = 32  # already-emitted characters rescanned for lookbehinds and word boundaries
_SPACE = re.compile(r"\s")


class StreamGuard:
    """Checks one streamed answer: call :meth:`feed` with each delta and emit what it returns, then
    :meth:`finish` for the rest. After a ``block`` finding both return ``""`` and ``blocked`` is set.

    ``findings`` carry offsets into the whole original answer. With ``masks`` (the input's map), the
    input's placeholders are restored in the emitted text.
    """

    def __init__(
        self, guard: Guard, *, masks: MaskMap | None = None, window: int | None = None, max_hold: int = 4096
    ) -> None:
        checks = guard.checks("output")
        self.guard = guard
        self.window = window or guard.policy.stream_window
        self.max_hold = max(max_hold, self.window)
        # Scan once per quarter window of new text, not per delta: each scan covers window + step characters.
        self._step = max(1, self.window // 4)
        self.masks = masks if masks is not None else MaskMap()
        self.findings: list[Finding] = []
        self.timings_us: dict[str, float] = {}
        self.blocked = False
        self.block_reason: str | None = None
        self._known = self.masks.placeholders()
        self._window_checks = [c for c in checks if c.streamable]
        self._final_checks = [c for c in checks if not c.streamable]
        self._full: list[str] | None = [] if self._final_checks else None
        self._pending = ""
        self._context = ""
        self._offset = 0  # position of _pending[0] in the whole answer

    def feed(self, delta: str) -> str:
        """Take the next delta; return the text that is now safe to emit (often ``""``)."""
        if self.blocked or not delta:
            return ""
        if self._full is not None:
            self._full.append(delta)
        if not self._window_checks and not self._known:
            return delta  # nothing to find in a window: pass through, whole-text checks still run at the end
        self._pending += delta
        if len(self._pending) < self.window + self._step:
            return ""
        return self._drain(final=False)

    def finish(self) -> str:
        """Flush the held-back text (checked), then run the whole-text checks; return the last safe text."""
        out = "" if self.blocked else self._drain(final=True)
        if self._full is not None and not self.blocked:
            found = self.guard.scan("".join(self._full), "output", self.timings_us, checks=self._final_checks)
            self.findings.extend(found)
            blocking = next((f for f in found if f.action is Action.BLOCK), None)
            if blocking is not None:
                self._block(blocking)
        return "" if self.blocked else out

    def result(self) -> GuardResult:
        """The stream's findings, block and timings as a :class:`GuardResult` (``text`` is not kept)."""
        blocking = next((f for f in self.findings if f.action is Action.BLOCK), None)
        return GuardResult(None, None, list(self.findings), self.blocked, self.block_reason, blocking, self.masks,
                           dict(self.timings_us))

    def _drain(self, final: bool) -> str:
        base = len(self._context)
        buf = self._context + self._pending
        shift = self._offset - base  # buffer offsets -> offsets in the whole answer
        found = [
            dataclasses.replace(f, start=max(f.start, base)) if f.start < base else f
            for f in self.guard.scan(buf, "output", self.timings_us, checks=self._window_checks)
            if f.end > base  # findings wholly inside the context were handled when it was emitted
        ]
        blocking = next((f for f in found if f.action is Action.BLOCK), None)
        if blocking is not None:
            self.findings.append(dataclasses.replace(blocking, start=blocking.start + shift, end=blocking.end + shift))
            self._block(blocking)
            return ""
        cut = len(buf) if final else self._cut(buf, base, found)
        if cut <= base:
            return ""
        emitted = [f for f in found if f.start < cut]
        segment = apply_findings(buf[base:cut], [_moved(f, -base) for f in emitted], self.masks)
        self.findings.extend(_moved(f, shift) for f in emitted)
        self._context = buf[max(0, cut - _CONTEXT) : cut]
        self._pending = buf[cut:]
        self._offset += cut - base
        return self.masks.unmask(segment, only=self._known) if self._known else segment

    def _cut(self, buf: str, base: int, found: list[Finding]) -> int:
        """Where to stop emitting: before the window, at whitespace, outside findings and placeholders."""
        cut = len(buf) - self.window
        space = max((m.start() for m in _SPACE.finditer(buf, base, cut)), default=-1)
        if space >= base:
            cut = space + 1
        spans = [(f.start, f.end) for f in found]
        if self._known and "<<" in buf:
            spans += [m.span() for m in _PLACEHOLDER.finditer(buf)]
        moved = True
        while moved:
            moved = False
            for start, end in spans:
                if start < cut < end:
                    cut, moved = start, True
        if cut <= base and len(buf) - base > self.max_hold:
            cut = len(buf)  # a finding has grown past max_hold: emit it, transformed, and move on
        return cut

    def _block(self, finding: Finding) -> None:
        self.blocked, self.block_reason = True, block_reason(finding, "the streamed output")
        self._pending = ""


def _moved(finding: Finding, by: int) -> Finding:
    return dataclasses.replace(finding, start=finding.start + by, end=finding.end + by)
