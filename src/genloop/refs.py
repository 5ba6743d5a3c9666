"""The one reference syntax: ``NAME`` (latest), ``NAME@7`` (version 7), ``NAME@production`` (label).

Every entry point (CLI, SDK, REST, spec files) parses references here, and names are validated
here too, so a name can never carry a path separator or a control character into the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genloop.errors import InvalidInput

__all__ = ["MAX_VERSION", "Ref", "parse_ref", "validate_label", "validate_name"]

# Matched with fullmatch: ``$`` also matches before a trailing newline, so ``re.match`` let "name\n" through.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_LABEL_RE = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,63}")
#: Largest version number (versions are 32-bit integers in the store).
MAX_VERSION = 2**31 - 1
NAME_RULE = "1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
LABEL_RULE = "1-64 characters of letters, digits, '.', '_' or '-', starting with a letter"


def validate_name(name: str, what: str = "name") -> str:
    """Return ``name`` if it is a valid entity name, else raise :class:`InvalidInput`."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or name in {".", ".."}:
        raise InvalidInput(f"invalid {what} {name!r}", hint=f"use {NAME_RULE}")
    return name


def validate_label(label: str) -> str:
    """Return ``label`` if it is a valid label or alias (``production``, ``champion``)."""
    if not isinstance(label, str) or not _LABEL_RE.fullmatch(label):
        raise InvalidInput(f"invalid label {label!r}", hint=f"use {LABEL_RULE}")
    if label == "latest":
        raise InvalidInput("'latest' is reserved", hint="it always means the newest version; pick another label")
    return label


@dataclass(frozen=True, slots=True)
class Ref:
    """A parsed reference. Exactly one of ``version`` and ``label`` is set, or neither (latest)."""

    name: str
    version: int | None = None
    label: str | None = None

    @property
    def is_latest(self) -> bool:
        return self.version is None and self.label is None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}@{self.version}"
        if self.label is not None:
            return f"{self.name}@{self.label}"
        return self.name


def parse_ref(text: str | Ref) -> Ref:
    """Parse ``NAME``, ``NAME@7``, ``NAME@production`` (and ``NAME@latest``) into a :class:`Ref`."""
    if isinstance(text, Ref):
        return text
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("empty reference", hint="write NAME, NAME@7 or NAME@production")
    name, sep, selector = text.strip().partition("@")
    validate_name(name)
    if not sep:
        return Ref(name)
    if not selector:
        raise InvalidInput(f"reference {text!r} ends with '@'", hint=f"write {name}, {name}@7 or {name}@production")
    if selector.isascii() and selector.isdigit():
        version = int(selector) if len(selector) <= 10 else MAX_VERSION + 1
        if not 1 <= version <= MAX_VERSION:
            raise InvalidInput(f"reference {text!r}: versions start at 1 and go up to {MAX_VERSION}", hint=f"write {name}@1")
        return Ref(name, version=version)
    if selector == "latest":
        return Ref(name)
    if not _LABEL_RE.fullmatch(selector):
        raise InvalidInput(
            f"reference {text!r} has an invalid selector {selector!r}",
            hint=f"after '@' put a version number or a label ({LABEL_RULE})",
        )
    return Ref(name, label=selector)
