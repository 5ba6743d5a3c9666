"""Secret checks: known credential formats, and high-entropy tokens that look like unknown ones."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from genloop.guardrails._base import Check, Finding, require

__all__ = ["APIKeyCheck", "HighEntropyCheck", "shannon_entropy"]

_B = r"(?<![A-Za-z0-9_-]{p})"  # boundary before the literal prefix, checked after it (see _pii)

# kind -> (hints, regex). A kind's regex runs only when one of its hints (plain substrings) is in the text,
# and starts with a literal, so CPython searches for it in C. Most texts contain no hint at all.
_KEY_PATTERNS: dict[str, tuple[tuple[str, ...], str]] = {
    "anthropic": (("sk-ant-",), "sk-ant-" + _B.format(p="sk-ant-") + r"[A-Za-z0-9_-]{20,}"),
    "openai": (("sk-",), "sk-" + _B.format(p="sk-") + r"(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    "aws_access_key_id": (
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        "A" + _B.format(p="A") + r"(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}",
    ),
    "github": (
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        "g" + _B.format(p="g") + r"(?:h[pousr]_[A-Za-z0-9]{36,255}|ithub_pat_[A-Za-z0-9_]{22,255})",
    ),
    "slack": (("xox",), "xox" + _B.format(p="xox") + r"[baprs]-[A-Za-z0-9-]{10,}"),
    "google_api_key": (("AIza",), "AIza" + _B.format(p="AIza") + r"[0-9A-Za-z_-]{35}"),
    "stripe": (("k_live_", "k_test_"), r"[sr]k_" + _B.format(p="[sr]k_") + r"(?:live|test)_[0-9A-Za-z]{10,}"),
    "jwt": (("eyJ",), "eyJ" + _B.format(p="eyJ") + r"[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # Header to footer when the footer is there, else the header and the base64 lines under it.
    "private_key": (
        ("PRIVATE KEY",),
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[A-Za-z0-9+/=:,\s]{0,8192}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"|(?:[ \t\r]*\n[A-Za-z0-9+/=]{16,80}(?=[ \t\r]*(?:\n|$)))*)",
    ),
}
_KEY_END = r"(?![A-Za-z0-9_-])"


class APIKeyCheck(Check):
    """Credentials in known formats: OpenAI (``sk-``, ``sk-proj-``), Anthropic (``sk-ant-``), AWS access key
    ids (``AKIA``), GitHub (``ghp_``, ``github_pat_``), Slack (``xox[baprs]-``), Google (``AIza``), Stripe
    (``sk_live_``), PEM private keys and JWTs. The finding's ``kind`` names the format.

    Parameters: ``kinds`` restricts the check to some formats.
    """

    name = "api_key"
    category = "secret"
    sensitive = True
    KINDS = tuple(_KEY_PATTERNS)

    def __init__(self, *, kinds: Sequence[str] | None = None, **base: object) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        selected = list(kinds) if kinds is not None else list(self.KINDS)
        unknown = sorted(set(selected) - set(self.KINDS))
        require(not unknown, f"params.kinds: unknown kind(s) {unknown}; known: {list(self.KINDS)}")
        self._patterns = {kind: re.compile(regex + _KEY_END) for kind, (_, regex) in _KEY_PATTERNS.items()
                          if kind in selected}
        self._hints = [(hint, kind) for kind, (hints, _) in _KEY_PATTERNS.items() if kind in selected for hint in hints]

    def scan(self, text: str) -> list[Finding]:
        kinds = {kind for hint, kind in self._hints if hint in text}
        if not kinds:
            return []
        found = [
            self.finding(text, m.start(), m.end(), kind=kind)
            for kind in kinds
            for m in self._patterns[kind].finditer(text)
        ]
        found.sort(key=lambda f: f.start)
        return found


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    n = len(value)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_HEX = frozenset("0123456789abcdefABCDEF")
_VOWELS = frozenset("aeiouAEIOU")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class HighEntropyCheck(Check):
    """Long random-looking tokens (base64, base64url or hex) that may be credentials in unknown formats.

    A token is a run (base64 padding included) of at least ``min_length`` characters from the base64/hex
    alphabets that mixes letters and digits, whose Shannon entropy reaches ``threshold`` bits per character
    and whose letters are less than ``max_vowel_ratio`` vowels (random letters are about 19% vowels,
    English words and the identifiers made of them about 40%). Pure hex runs need ``hex_min_length`` and
    ``hex_threshold`` instead (their alphabet caps entropy at 4 bits). UUIDs are skipped.
    """

    name = "high_entropy"
    category = "secret"
    sensitive = True
    _TOKEN_CHARS = r"A-Za-z0-9+/_\-"

    def __init__(
        self,
        *,
        min_length: int = 24,
        threshold: float = 3.8,
        max_vowel_ratio: float = 0.35,
        hex_min_length: int = 32,
        hex_threshold: float = 3.0,
        **base: object,
    ) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        require(8 <= min_length <= 1024, "params.min_length: must be between 8 and 1024")
        require(8 <= hex_min_length <= 1024, "params.hex_min_length: must be between 8 and 1024")
        require(0 < threshold <= 8, "params.threshold: must be between 0 and 8 bits per character")
        require(0 < hex_threshold <= 4, "params.hex_threshold: must be between 0 and 4 bits per character")
        require(0 < max_vowel_ratio <= 1, "params.max_vowel_ratio: must be in (0, 1]")
        self.min_length, self.threshold, self.max_vowel_ratio = min_length, threshold, max_vowel_ratio
        self.hex_min_length, self.hex_threshold = hex_min_length, hex_threshold
        # Leftmost-greedy matching already yields whole runs, so no boundary assertions are needed.
        self._pattern = re.compile(rf"[{self._TOKEN_CHARS}]{{{min(min_length, hex_min_length)},}}={{0,2}}")

    def scan(self, text: str) -> list[Finding]:
        found = []
        for m in self._pattern.finditer(text):
            token = m.group().strip("=-_/+")
            if _UUID.fullmatch(token):
                continue
            entropy = self._random_entropy(token)
            if entropy is not None:
                found.append(self.finding(text, m.start(), m.end(), score=round(entropy, 3)))
        return found

    def _random_entropy(self, token: str) -> float | None:
        """The token's entropy if it looks random, else None."""
        letters = [c for c in token if c.isalpha()]
        if not letters or len(letters) == len(token) or not any(c.isdigit() for c in token):
            return None
        entropy = shannon_entropy(token)
        if _HEX.issuperset(token):
            ok = len(token) >= self.hex_min_length and entropy >= self.hex_threshold
        else:
            vowels = sum(c in _VOWELS for c in letters) / len(letters)
            ok = len(token) >= self.min_length and entropy >= self.threshold and vowels < self.max_vowel_ratio
        return entropy if ok else None
