"""The vocabulary every check shares: actions, findings and the :class:`Check` base class.

A check is configured once from a policy rule (its action, its label and its own parameters) and then
scans many texts. ``scan`` must be pure and thread-safe: the gateway calls one instance from many requests.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, ClassVar

__all__ = ["Action", "Check", "Finding", "fingerprint"]


class Action(StrEnum):
    """What a rule does with what its check finds, weakest first."""

    FLAG = "flag"
    MASK = "mask"
    REDACT = "redact"
    BLOCK = "block"

    @property
    def strength(self) -> int:
        """Order used when findings overlap: the strongest action wins."""
        return _STRENGTH[self]


_STRENGTH = {Action.FLAG: 0, Action.MASK: 1, Action.REDACT: 2, Action.BLOCK: 3}


def fingerprint(value: str) -> str:
    """A short, non-reversible id of a sensitive value, so traces can correlate without storing it."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# Findings are plain slotted dataclasses, not pydantic models: the gateway builds them on every request,
# and ``to_dict()`` gives the JSON shape that traces store.
@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found in one text.

    ``start``/``end`` are character offsets into the scanned text (``message``/``part`` say which one,
    when a chat was checked). ``evidence`` is an excerpt for harmless matches, or a ``sha256:`` fingerprint
    for sensitive ones (PII, secrets), so findings can be logged. ``kind`` is the sub-type
    (``us_ssn``, ``openai``, a topic name...), ``score`` a confidence in [0, 1] where the check has one.
    """

    check: str
    category: str
    start: int
    end: int
    action: Action
    evidence: str | None = None
    score: float | None = None
    kind: str | None = None
    message: int | None = None
    part: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form stored in traces and sent by the REST API."""
        data = asdict(self)
        data["action"] = self.action.value
        return {key: value for key, value in data.items() if value is not None}


class Check(ABC):
    """Base class of every guardrail check, built-in or from a plugin.

    Subclasses set ``name`` and ``category``, take their parameters as keyword arguments (raising
    ``ValueError`` for a bad value, which the policy reports with the rule index), pass ``action`` and
    ``label`` on to this constructor, and implement :meth:`scan`.
    """

    name: ClassVar[str] = ""
    category: ClassVar[str] = ""
    #: Evidence is a fingerprint instead of an excerpt (PII, secrets).
    sensitive: ClassVar[bool] = False
    #: Findings are local spans, so a stream can be checked over a sliding window. Whole-text checks
    #: (length, JSON Schema, classifiers) set False and run once on the complete stream.
    streamable: ClassVar[bool] = True

    def __init__(self, *, action: Action | str = Action.FLAG, label: str | None = None) -> None:
        self.action = Action(action)
        self.label = label or self.name

    @abstractmethod
    def scan(self, text: str) -> list[Finding]:
        """Return every finding in ``text`` (empty when clean), in order of ``start``."""

    def finding(
        self,
        text: str,
        start: int,
        end: int,
        *,
        kind: str | None = None,
        score: float | None = None,
        category: str | None = None,
        evidence: str | None = None,
    ) -> Finding:
        """Build a finding for ``text[start:end]`` with this check's label, category and action."""
        if evidence is None:
            value = text[start:end]
            evidence = fingerprint(value) if self.sensitive else value[:80]
        return Finding(
            check=self.label,
            category=category or self.category,
            start=start,
            end=end,
            action=self.action,
            evidence=evidence,
            score=score,
            kind=kind,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label!r} action={self.action.value}>"


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment cards and Canadian SINs."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def require(condition: bool, message: str) -> None:
    """Raise the ``ValueError`` a policy turns into ``rules[i]: <message>``."""
    if not condition:
        raise ValueError(message)
