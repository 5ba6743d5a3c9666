"""PII checks for contact details and identity: email, phone, national ID numbers and IP addresses.

Each check has one precompiled pattern (a single alternation where a check has several formats), a cheap
prefilter that skips texts which cannot match (no ``@``, no digit, fewer than two colons), and a Python
validator only for the rare candidates (digit counts, dates, checksums, address parsing).

Patterns start with a plain character class and check the boundary *after* the first character
(``\\d(?<![\\w-]\\d)``): CPython's regex engine can then skip to candidate characters in C instead of
trying every branch at every position, which makes these scans several times faster.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from genloop.guardrails._base import Check, Finding, luhn_valid, require

__all__ = ["EmailCheck", "IPAddressCheck", "NationalIDCheck", "PhoneCheck"]

_ANY_DIGIT = re.compile(r"\d")


class EmailCheck(Check):
    """Email addresses (``name@example.com``)."""

    name = "email"
    category = "email"
    sensitive = True
    _PATTERN = re.compile(
        r"[A-Za-z0-9](?<![\w.+%-].)[A-Za-z0-9._%+-]{0,63}@"
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
    )

    def scan(self, text: str) -> list[Finding]:
        if "@" not in text:
            return []
        return [self.finding(text, m.start(), m.end()) for m in self._PATTERN.finditer(text)]


class PhoneCheck(Check):
    """Phone numbers: international (``+44 20 7946 0958``), North American (``(555) 123-4567``) and
    trunk-prefixed national formats (``020 7946 0958``, ``06 12 34 56 78``).

    A national number needs separators, so plain long numbers (order ids, timestamps) do not match, and
    date-shaped matches (``01-02-2024``) are dropped.
    """

    name = "phone"
    category = "phone"
    sensitive = True
    _PATTERN = re.compile(
        r"[+(\d](?<![\w+./-].)(?:"
        r"(?<=\+)(?P<international>\d{1,3}[ .-]?(?:\(\d{1,4}\)|\d{1,4})(?:[ .-]?\d{2,4}){1,5})"
        r"|(?P<north_american>(?:(?<=\()\d{3}\) ?|(?<=\d)\d{2}[ .-])\d{3}[ .-]\d{4})"
        r"|(?<=0)(?P<national>\d{1,4}(?:[ -]\d{2,8}){1,4})"
        r")(?![\w-]|[./]\d)"
    )
    _DATE = re.compile(r"\d{1,4}[ ./-]\d{1,2}[ ./-]\d{2,4}")
    _DIGIT_RANGE = {"international": (8, 15), "north_american": (10, 10), "national": (9, 12)}

    def scan(self, text: str) -> list[Finding]:
        if not _ANY_DIGIT.search(text):
            return []
        found = []
        for m in self._PATTERN.finditer(text):
            kind = m.lastgroup or "international"
            value = m.group()
            low, high = self._DIGIT_RANGE[kind]
            if not low <= sum(ch.isdigit() for ch in value) <= high:
                continue
            if kind == "national" and self._DATE.fullmatch(value):
                continue
            found.append(self.finding(text, m.start(), m.end(), kind=kind))
        return found


def _ssn_valid(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in {"000", "666"} or area[0] == "9" or group == "00" or serial == "0000":
        return False
    # Numbers the SSA never issued but that circulate widely (Woolworth's wallet card, ads, placeholders).
    return digits not in {"078051120", "219099999", "123456789"}


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _national_id_valid(kind: str, value: str) -> bool:
    compact = re.sub(r"[\s-]", "", value).upper()
    if kind == "us_ssn":
        return _ssn_valid(compact)
    if kind == "ca_sin":
        return compact[0] not in "08" and luhn_valid(compact)
    if kind == "es_dni":
        return _DNI_LETTERS[int(compact[:8]) % 23] == compact[8]
    return True


class NationalIDCheck(Check):
    """National identity numbers, each kind named: ``us_ssn`` (invalid areas, groups and serials excluded),
    ``uk_nino`` (disallowed prefixes excluded), ``ca_sin`` (Luhn) and ``es_dni`` (mod-23 letter).

    Parameters: ``kinds`` restricts the check to some of them.
    """

    name = "national_id"
    category = "national_id"
    sensitive = True
    KINDS = ("us_ssn", "uk_nino", "ca_sin", "es_dni")
    _DIGIT_FIRST = re.compile(
        r"\d(?<![\w-]\d)(?:"
        r"(?P<us_ssn>\d{2}(?P<ssn_sep>[- ])\d{2}(?P=ssn_sep)\d{4})"
        r"|(?P<ca_sin>\d{2}(?P<sin_sep>[- ])\d{3}(?P=sin_sep)\d{3})"
        r"|(?P<es_dni>\d{7}-?[A-HJ-NP-TV-Z])"
        r")(?![\w-])"
    )
    _NINO = re.compile(
        r"[A-CEGHJ-PR-TW-Z](?<![\w-].)[A-CEGHJ-NPR-TW-Z]"
        r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])"
    )
    def __init__(self, *, kinds: Sequence[str] | None = None, **base: object) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        selected = tuple(kinds) if kinds is not None else self.KINDS
        unknown = sorted(set(selected) - set(self.KINDS))
        require(not unknown, f"params.kinds: unknown kind(s) {unknown}; known: {list(self.KINDS)}")
        self.kinds = frozenset(selected)

    def scan(self, text: str) -> list[Finding]:
        found = []
        for m in self._DIGIT_FIRST.finditer(text):
            kind = next(k for k in ("us_ssn", "ca_sin", "es_dni") if m.group(k) is not None)
            if kind in self.kinds and _national_id_valid(kind, m.group()):
                found.append(self.finding(text, m.start(), m.end(), kind=kind))
        if "uk_nino" in self.kinds:
            found.extend(
                self.finding(text, m.start(), m.end(), kind="uk_nino")
                for m in self._NINO.finditer(text)
                if m.group()[:2] not in _NINO_BAD_PREFIXES
            )
            found.sort(key=lambda f: f.start)
        return found


class IPAddressCheck(Check):
    """IPv4 addresses with valid octets (0-255, no leading zeros) and IPv6 addresses (validated by :mod:`ipaddress`).

    Parameters: ``versions`` (``[4, 6]`` by default).
    """

    name = "ip_address"
    category = "ip_address"
    sensitive = True
    _V4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)")
    _V6 = re.compile(r"[0-9A-Fa-f:](?<![\w:.].)[0-9A-Fa-f:]{2,38}(?![\w:]|\.\d)")

    def __init__(self, *, versions: Sequence[int] = (4, 6), **base: object) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        require(bool(versions) and set(versions) <= {4, 6}, "params.versions: use a list of 4 and/or 6")
        self.versions = frozenset(versions)

    def scan(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        if 4 in self.versions and "." in text and _ANY_DIGIT.search(text):
            found.extend(
                self.finding(text, m.start(), m.end(), kind="ipv4")
                for m in self._V4.finditer(text)
                if all(len(o) == 1 or (o[0] != "0" and int(o) <= 255) for o in m.group().split("."))
            )
        if 6 in self.versions and text.count(":") >= 2:
            for m in self._V6.finditer(text):
                value = m.group()
                if value.count(":") < 2 or len(value) - value.count(":") < 3:
                    continue  # "::" and "a::b" are valid addresses but far more often code
                try:
                    ipaddress.IPv6Address(value)
                except ValueError:
                    continue
                found.append(self.finding(text, m.start(), m.end(), kind="ipv6"))
            found.sort(key=lambda f: f.start)
        return found
