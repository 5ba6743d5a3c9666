"""Text metrics: exact match, SQuAD token F1, contains, regex and length."""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import regex

from genloop.errors import InvalidInput
from genloop.evals.metrics._base import Metric, Reference, Score

__all__ = ["Contains", "ExactMatch", "Length", "Regex", "TokenF1", "normalize_text"]

NORMALIZATIONS = ("unicode", "lower", "punct", "articles", "whitespace", "strip")
_ASCII_PUNCT = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_TOKENS = re.compile(r"\w+|[^\w\s]")


def _no_punctuation(text: str) -> str:
    text = text.translate(_ASCII_PUNCT)
    if text.isascii():
        return text
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def normalize_text(text: str, steps: Sequence[str]) -> str:
    """Apply the normalisation ``steps`` in a fixed order, whatever order they are listed in:
    ``unicode`` (NFKC), ``lower`` (casefold), ``punct`` (drop ASCII and Unicode punctuation),
    ``articles`` (drop English a/an/the), ``whitespace`` (collapse runs to one space), ``strip``."""
    if "unicode" in steps:
        text = unicodedata.normalize("NFKC", text)
    if "lower" in steps:
        text = text.casefold()
    if "punct" in steps:
        text = _no_punctuation(text)
    if "articles" in steps:
        text = _ARTICLES.sub(" ", text)
    if "whitespace" in steps:
        text = " ".join(text.split())
    if "strip" in steps:
        text = text.strip()
    return text


def _check_steps(metric: str, steps: Any) -> list[str]:
    if isinstance(steps, str):
        steps = [steps]
    steps = list(steps or [])
    unknown = [s for s in steps if s not in NORMALIZATIONS]
    if unknown:
        raise InvalidInput(f"metric {metric!r}: unknown normalization {', '.join(map(repr, unknown))}",
                           hint=f"use any of: {', '.join(NORMALIZATIONS)}")
    return steps


class ExactMatch(Metric):
    """1.0 when the output equals a reference after the chosen ``normalize`` steps (none by default)."""

    name = "exact_match"
    requires_reference = True

    def __init__(self, *, normalize: Sequence[str] = (), name: str | None = None) -> None:
        super().__init__(name=name)
        self.steps = _check_steps(self.name, normalize)
        self._params(normalize=self.steps)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        target = normalize_text(output, self.steps)
        hit = any(normalize_text(ref, self.steps) == target for ref in self.references(reference))
        return Score(value=1.0 if hit else 0.0, passed=hit)


def squad_tokens(text: str) -> list[str]:
    """SQuAD's answer normalisation: lowercase, drop ASCII punctuation and articles, split on whitespace."""
    return _ARTICLES.sub(" ", text.lower().translate(_ASCII_PUNCT)).split()


def _f1(output: list[str], reference: list[str]) -> tuple[float, float, float]:
    if not output or not reference:
        same = float(output == reference)
        return same, same, same
    common = sum((Counter(output) & Counter(reference)).values())
    if common == 0:
        return 0.0, 0.0, 0.0
    precision, recall = common / len(output), common / len(reference)
    return precision, recall, 2 * precision * recall / (precision + recall)


class TokenF1(Metric):
    """SQuAD token F1: the harmonic mean of token precision and recall, best over the references.

    With ``normalize`` (default) tokens are SQuAD-normalised; without it they are whitespace-split as is.
    Two empty answers score 1.0; one empty answer scores 0.0 (the SQuAD v2 convention).
    """

    name = "token_f1"
    requires_reference = True

    def __init__(self, *, normalize: bool = True, name: str | None = None) -> None:
        super().__init__(name=name)
        self.normalize = bool(normalize)
        self._params(normalize=self.normalize)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        split = squad_tokens if self.normalize else str.split
        tokens = split(output)
        best = max((_f1(tokens, split(ref)) for ref in self.references(reference)), key=lambda prf: prf[2])
        return Score(value=best[2], details={"precision": best[0], "recall": best[1]})


class Contains(Metric):
    """1.0 when the output contains ``text`` (any of several, or all with ``mode="all"``); without ``text``
    the item's reference(s) are looked for."""

    name = "contains"

    def __init__(self, *, text: str | Sequence[str] | None = None, ignore_case: bool = False, mode: str = "any",
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if mode not in ("any", "all"):
            raise InvalidInput(f"metric {self.name!r}: mode must be 'any' or 'all', not {mode!r}")
        self.texts = [text] if isinstance(text, str) else (list(text) if text is not None else None)
        self.ignore_case, self.mode = bool(ignore_case), mode
        self._params(text=text, ignore_case=self.ignore_case, mode=mode)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        needles = self.texts if self.texts is not None else self.references(reference)
        if self.ignore_case:
            output, needles = output.casefold(), [n.casefold() for n in needles]
        found = [n in output for n in needles]
        hit = all(found) if self.mode == "all" else any(found)
        missing = [n for n, f in zip(needles, found, strict=True) if not f]
        return Score(value=1.0 if hit else 0.0, passed=hit,
                     explanation=None if hit else f"missing {', '.join(map(repr, missing[:3]))}")


_FLAGS = {"i": regex.IGNORECASE, "m": regex.MULTILINE, "s": regex.DOTALL, "x": regex.VERBOSE, "a": regex.ASCII}
#: A pattern may run this long on one output: Python's ``re`` backtracks for seconds on ``(a+)+$`` and two dozen
#: characters while holding the GIL (a server scoring online stalls whole), so patterns use the ``regex`` package,
#: whose matching honours a timeout.
MATCH_SECONDS = 1.0


class Regex(Metric):
    """1.0 when the output matches ``pattern`` (``mode``: search, match or fullmatch; ``flags`` from
    "imsxa"); without a pattern the item's reference(s) are the patterns, any of which may match."""

    name = "regex"

    def __init__(self, *, pattern: str | None = None, flags: str = "", mode: str = "search",
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if mode not in ("search", "match", "fullmatch"):
            raise InvalidInput(f"metric {self.name!r}: mode must be search, match or fullmatch, not {mode!r}")
        unknown = sorted(set(flags) - set(_FLAGS))
        if unknown:
            raise InvalidInput(f"metric {self.name!r}: unknown regex flag(s) {''.join(unknown)!r}",
                               hint="use letters from 'imsxa'")
        self.flags = 0
        for letter in flags:
            self.flags |= _FLAGS[letter]
        self.mode = mode
        self.pattern = self._compile(pattern) if pattern is not None else None
        self._params(pattern=pattern, flags=flags, mode=mode)

    def _compile(self, pattern: str) -> Any:
        try:
            return regex.compile(pattern, self.flags | regex.VERSION0)
        except regex.error as exc:
            raise InvalidInput(f"metric {self.name!r}: invalid regular expression {pattern!r}: {exc}") from exc

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        patterns = [self.pattern] if self.pattern is not None else [
            self._compile(ref) for ref in self.references(reference)]
        try:
            hit = any(getattr(p, self.mode)(output, timeout=MATCH_SECONDS) is not None for p in patterns)
        except TimeoutError as exc:
            raise InvalidInput(f"metric {self.name!r}: the pattern ran past {MATCH_SECONDS:g} s on this output "
                               "(catastrophic backtracking)",
                               hint="simplify the pattern: no nested repetition such as (a+)+") from exc
        return Score(value=1.0 if hit else 0.0, passed=hit)


class Length(Metric):
    """The length of the output in ``unit`` (chars, words split on whitespace, or tokens: runs of word
    characters and single punctuation marks); ``passed`` when within ``min``/``max`` if either is set."""

    name = "length"
    higher_is_better = None
    proportion = False

    def __init__(self, *, unit: str = "chars", min: float | None = None, max: float | None = None,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if unit not in ("chars", "words", "tokens"):
            raise InvalidInput(f"metric {self.name!r}: unit must be chars, words or tokens, not {unit!r}")
        self.unit, self.low, self.high = unit, min, max
        self._params(unit=unit, min=min, max=max)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        if self.unit == "chars":
            size = len(output)
        elif self.unit == "words":
            size = len(output.split())
        else:
            size = len(_TOKENS.findall(output))
        passed = None
        if self.low is not None or self.high is not None:
            passed = (self.low is None or size >= self.low) and (self.high is None or size <= self.high)
        return Score(value=float(size), passed=passed)
