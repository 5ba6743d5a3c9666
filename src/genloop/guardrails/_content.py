"""Content checks configured entirely by the policy: banned terms, topics, custom regexes, maximum length
and JSON Schema conformance of the output."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from genloop.guardrails._base import Check, Finding, require
from genloop.guardrails._regex import PolicyPattern, RegexTimeout

__all__ = ["BannedTermsCheck", "JSONSchemaCheck", "MaxLengthCheck", "RegexCheck", "TopicsCheck"]


def _term_pattern(terms: Sequence[str], case_sensitive: bool) -> re.Pattern[str]:
    """One alternation of whole-word terms, longest first so ``credit card`` beats ``credit``."""
    cleaned = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in cleaned)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", 0 if case_sensitive else re.IGNORECASE)


def _terms(value: object, where: str) -> list[str]:
    require(
        isinstance(value, Sequence) and not isinstance(value, str) and all(isinstance(t, str) for t in value),
        f"{where}: must be a list of strings",
    )
    terms = [t for t in value if t.strip()]  # type: ignore[attr-defined]
    require(bool(terms), f"{where}: must name at least one term")
    return terms


class BannedTermsCheck(Check):
    """Whole-word matches of banned terms (a multi-word term matches any whitespace between its words).

    Parameters: ``terms`` (required), ``case_sensitive`` (False).
    """

    name = "banned_terms"
    category = "banned_term"

    def __init__(self, *, terms: Sequence[str] = (), case_sensitive: bool = False, **base: object) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        self._pattern = _term_pattern(_terms(terms, "params.terms"), case_sensitive)

    def scan(self, text: str) -> list[Finding]:
        return [self.finding(text, m.start(), m.end()) for m in self._pattern.finditer(text)]


class TopicsCheck(Check):
    """Topics, each a named list of terms; a finding's ``kind`` is the topic whose term matched.

    Parameters: ``topics`` (required, ``{name: [terms]}``), ``case_sensitive`` (False).
    """

    name = "topics"
    category = "topic"

    def __init__(
        self, *, topics: Mapping[str, Sequence[str]] | None = None, case_sensitive: bool = False, **base: object
    ) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        require(isinstance(topics, Mapping) and bool(topics), "params.topics: must map topic names to term lists")
        self._case_sensitive = case_sensitive
        self._topic_of: dict[str, str] = {}
        for topic, terms in topics.items():  # type: ignore[union-attr]
            for term in _terms(terms, f"params.topics.{topic}"):
                self._topic_of.setdefault(self._key(term), str(topic))
        self._pattern = _term_pattern(list(self._topic_of), case_sensitive)

    def _key(self, term: str) -> str:
        term = " ".join(term.split())
        return term if self._case_sensitive else term.lower()

    def scan(self, text: str) -> list[Finding]:
        return [
            self.finding(text, m.start(), m.end(), kind=self._topic_of.get(self._key(m.group())))
            for m in self._pattern.finditer(text)
        ]


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


class RegexCheck(Check):
    """Custom regular expressions, compiled into one alternation.

    Parameters: ``pattern`` or ``patterns`` (required), ``flags`` (letters from ``imsx``), ``category``
    (``custom``), ``sensitive`` (False; True stores fingerprints instead of excerpts).
    """

    name = "regex"
    category = "custom"

    def __init__(
        self,
        *,
        pattern: str | None = None,
        patterns: Sequence[str] = (),
        flags: str = "",
        category: str = "custom",
        sensitive: bool = False,
        **base: object,
    ) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        sources = [pattern] if pattern else []
        sources += list(patterns)
        require(bool(sources), "params.pattern: give 'pattern' or 'patterns'")
        require(set(flags) <= set(_FLAGS), f"params.flags: use letters from {''.join(_FLAGS)}")
        flag_bits = 0
        for letter in flags:
            flag_bits |= _FLAGS[letter]
        for i, source in enumerate(sources):
            try:
                re.compile(source, flag_bits)
            except re.error as exc:
                raise ValueError(f"params.patterns[{i}]: invalid regex {source!r}: {exc}") from None
        self._pattern = PolicyPattern("|".join(f"(?:{s})" for s in sources), flag_bits)
        self.category = category  # type: ignore[misc]
        self.sensitive = sensitive  # type: ignore[misc]

    def scan(self, text: str) -> list[Finding]:
        """Matches of the policy's patterns; a scan past its time limit is one finding over the whole text."""
        try:
            return [self.finding(text, m.start(), m.end()) for m in self._pattern.finditer(text)
                    if m.end() > m.start()]
        except RegexTimeout as exc:
            return [self.finding(text, 0, len(text), evidence=f"regex timed out: {exc}")]


class MaxLengthCheck(Check):
    """Text longer than ``max_chars`` characters or ``max_tokens`` approximate tokens (4 characters each).

    The finding spans the excess, so ``redact`` truncates and ``block`` rejects.
    """

    name = "max_length"
    category = "length"
    streamable = False
    CHARS_PER_TOKEN = 4

    def __init__(self, *, max_chars: int | None = None, max_tokens: int | None = None, **base: object) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        require(max_chars is not None or max_tokens is not None, "params: give max_chars or max_tokens")
        limits = []
        for field, value, scale in (("max_chars", max_chars, 1), ("max_tokens", max_tokens, self.CHARS_PER_TOKEN)):
            if value is not None:
                require(isinstance(value, int) and value > 0, f"params.{field}: must be a positive integer")
                limits.append(value * scale)
        self.limit = min(limits)

    def scan(self, text: str) -> list[Finding]:
        if len(text) <= self.limit:
            return []
        return [self.finding(text, self.limit, len(text), evidence=f"{len(text)} chars > {self.limit}")]


_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*)\n\s*```\s*$", re.DOTALL)


class JSONSchemaCheck(Check):
    """Output that is not JSON, or not valid against ``schema`` (a code fence around the JSON is allowed).

    Parameters: ``schema`` (required, a JSON Schema; its ``$schema`` picks the draft, 2020-12 by default).
    """

    name = "json_schema"
    category = "schema"
    streamable = False

    def __init__(self, *, schema: Mapping[str, Any] | None = None, **base: object) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        import jsonschema

        require(isinstance(schema, Mapping), "params.schema: must be a JSON Schema object")
        validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        try:
            validator_cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"params.schema: not a valid JSON Schema: {exc.message}") from None
        self._validator = validator_cls(schema)

    def scan(self, text: str) -> list[Finding]:
        fenced = _FENCE.match(text)
        try:
            value = json.loads(fenced.group(1) if fenced else text)
        except ValueError as exc:
            return [self.finding(text, 0, len(text), kind="not_json", evidence=f"not JSON: {exc}")]
        error = next(iter(self._validator.iter_errors(value)), None)
        if error is None:
            return []
        where = "/" + "/".join(map(str, error.absolute_path))
        return [self.finding(text, 0, len(text), kind="schema_violation", evidence=f"{where}: {error.message}"[:200])]
