"""Regular expressions written in a policy, matched under a time limit.

A policy's own pattern (``regex`` checks, custom prompt-injection patterns) meets text a caller chose, on
the gateway's hot path; Python's ``re`` can backtrack for minutes on a pattern such as ``(a+)+$`` and a
few dozen characters. Policy patterns are compiled with the ``regex`` package (installed with GenLoop:
sacrebleu needs it), whose matching honours a timeout: a scan that runs past ``SCAN_SECONDS`` stops
with :class:`RegexTimeout`, and the check reports it as a finding over the whole text (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import regex

__all__ = ["SCAN_SECONDS", "PolicyPattern", "RegexTimeout"]

SCAN_SECONDS = 0.05
_FLAGS = {2: regex.IGNORECASE, 8: regex.MULTILINE, 16: regex.DOTALL, 64: regex.VERBOSE}  # re's flag values


class RegexTimeout(Exception):
    """A policy pattern ran past its time limit on one text."""


class PolicyPattern:
    """A compiled policy pattern with ``finditer``/``search`` that stop after ``SCAN_SECONDS``."""

    def __init__(self, source: str, flags: int = 0) -> None:
        bits = 0
        for re_bit, regex_bit in _FLAGS.items():
            if flags & re_bit:
                bits |= regex_bit
        self.pattern = source
        try:
            self._compiled = regex.compile(source, bits | regex.VERSION0)
        except regex.error as exc:
            raise ValueError(f"invalid regex {source[:80]!r}: {exc}") from None

    def finditer(self, text: str) -> Iterator[Any]:
        try:
            yield from self._compiled.finditer(text, timeout=SCAN_SECONDS)
        except TimeoutError as exc:
            raise RegexTimeout(f"pattern {self.pattern[:80]!r} ran past {SCAN_SECONDS:g} s") from exc

    def search(self, text: str) -> Any:
        try:
            return self._compiled.search(text, timeout=SCAN_SECONDS)
        except TimeoutError as exc:
            raise RegexTimeout(f"pattern {self.pattern[:80]!r} ran past {SCAN_SECONDS:g} s") from exc
