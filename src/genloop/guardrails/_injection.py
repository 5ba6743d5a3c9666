"""Prompt-injection and jailbreak heuristics: weighted phrase patterns over normalised text.

The text is normalised first (Unicode NFKC, zero-width characters stripped, lower case, a few Cyrillic
homoglyphs and light leetspeak mapped back to letters), keeping a map from normalised to original offsets
so findings point into the original text. Matched pattern weights combine as a noisy OR
(``1 - prod(1 - w)``), and the check fires when that score reaches ``threshold``: one strong phrase
("ignore all previous instructions") is enough, weak hints ("developer mode", "stay in character") need
company.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from genloop.guardrails._base import Check, Finding, require
from genloop.guardrails._regex import PolicyPattern, RegexTimeout

__all__ = ["INJECTION_PATTERNS", "PromptInjectionCheck", "normalize_for_matching"]

_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f")
# Digits and symbols read as letters, and Cyrillic look-alikes of Latin letters. One character to one, so
# offsets survive; patterns that need a real digit spell both forms (base64 -> "base6a").
_LEET = str.maketrans("013457@$\u0430\u0435\u043e\u0440\u0441\u0445\u0443\u0456", "oieastasaeopcxyi")

_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation, " "))
# The same for ASCII bytes, with the leetspeak map applied first: lower-cased text -> words for anchors.
_GATE_BYTES = bytes.maketrans(
    b"013457@$" + string.punctuation.replace("@", "").replace("$", "").encode(),
    b"oieastas" + b" " * (len(string.punctuation) - 2),
)
S = r"[\s_*.\-]+"  # a word separator, tolerant of "ignore-all_previous...instructions"
_VERB_REVEAL = r"(?:reveal|print|repeat|output|dump|leak|disclose|expose|recite|spell out|write out)"
_MODES = r"(?:jailbreak|dan|god|unrestricted|unfiltered|uncensored|evil|sudo)"
_LIMITS = r"(?:restrictions|rules|limits|limitations|filters|guidelines|censorship|boundaries|ethics|morals|policies)"

_IGNORE_WORDS = ("ignore", "disregard", "forget", "override", "bypass", "neglect")

#: Built-in patterns: id -> (weight, regex over normalised text, anchors). A pattern runs only when one of its
#: anchors occurs in the normalised text: a word (letters only; one set intersection tests them all) or a
#: substring (anything else). Most texts contain none, so most texts cost one split and one intersection.
INJECTION_PATTERNS: dict[str, tuple[float, str, tuple[str, ...]]] = {
    "ignore_instructions": (
        0.9,
        rf"\b(?:ignore|disregard|forget|override|bypass|neglect){S}"
        rf"(?:(?:all|any|the|of|my|these|those|every){S}){{0,3}}"
        rf"(?:(?:all|your|above|prior|earlier|previous|preceding|system|safety|original|initial|default){S})+"
        r"(?:instructions?|prompts?|rules|directions|directives|guidelines|context|programming|constraints)\b",
        _IGNORE_WORDS,
    ),
    "forget_everything": (
        0.6, rf"\b(?:forget|disregard|ignore){S}(?:everything|all){S}(?:above|before|so far|you)",
        _IGNORE_WORDS,
    ),
    "new_instructions": (
        0.6, rf"\b(?:new|updated|real|actual|true){S}(?:system{S})?instructions?\s*:",
        ("instruction", "instructions"),
    ),
    "from_now_on": (0.4, rf"\bfrom{S}now{S}on,?{S}you{S}(?:are|will|must|shall)\b", ("now",)),
    "persona_dan": (
        0.9,
        rf"\byou(?:'re|{S}are|{S}will{S}be){S}(?:now{S})?(?:(?:a|an|the){S})?"
        rf"(?:dan|stan|dude|aim|evil{S}?(?:bot|ai|assistant)|jailbroken|unfiltered|uncensored|unrestricted)\b",
        ("dan", "stan", "dude", "aim", "evil", "evilbot", "jailbroken", "unfiltered", "uncensored", "unrestricted"),
    ),
    "do_anything_now": (0.85, rf"\bdo{S}anything{S}now\b", ("anything",)),
    "jailbreak_mode": (
        0.7, rf"\b{_MODES}{S}?mode\b",
        ("mode", "jailbreakmode", "godmode", "danmode", "sudomode"),
    ),
    "developer_mode_on": (0.7, rf"\bdeveloper{S}mode{S}(?:enabled|activated|output|unlocked)\b", ("developer",)),
    "developer_mode": (0.3, rf"\bdeveloper{S}mode\b", ("developer",)),
    "reveal_your_prompt": (
        0.85,
        rf"\b(?:{_VERB_REVEAL}|show|display|tell{S}me|give{S}me|what(?:'s|{S}is|{S}are|{S}were)){S}(?:me{S})?"
        rf"(?:all{S}|of{S})?your{S}(?:\w+{S}){{0,2}}?(?:system{S}?prompt|system{S}message|prompt|instructions"
        r"|directives|initial\s+instructions|hidden\s+instructions)\b",
        ("prompt", "prompts", "systemprompt", "instruction", "instructions", "directives"),
    ),
    "reveal_system_prompt": (
        0.85,
        rf"\b{_VERB_REVEAL}{S}(?:\w+{S}){{0,3}}?(?:system{S}?prompt|system{S}message"
        rf"|(?:hidden|secret|initial|original|internal|confidential|developer){S}(?:prompt|instructions))\b",
        ("prompt", "prompts", "systemprompt", "instructions"),
    ),
    "repeat_above": (
        0.7, rf"\brepeat{S}(?:everything|all|the{S}(?:text|words|content)){S}(?:\w+{S}){{0,2}}?above\b",
        ("repeat",),
    ),
    "roleplay_override": (
        0.8,
        r"\b(?:pretend|imagine|act\s+as\s+if|act\s+like|role-?\s?play|play\s+the\s+role)(?:\W+\w+){0,8}?\W+"
        rf"(?:no|without|free\s+(?:of|from)|ignor\w*|bypass\w*){S}(?:any{S}|all{S})?(?:\w+{S})?{_LIMITS}\b",
        ("pretend", "imagine", "act", "roleplay", "role", "play"),
    ),
    "act_unfiltered": (
        0.8,
        rf"\b(?:act|behave|respond|answer|reply){S}(?:as|like){S}(?:an?{S})?"
        r"(?:unfiltered|uncensored|unrestricted|unaligned|evil|amoral|rogue)\b",
        ("unfiltered", "uncensored", "unrestricted", "unaligned", "evil", "amoral", "rogue"),
    ),
    "no_ethics": (
        0.55,
        rf"\b(?:no|without(?:{S}any)?|free{S}(?:of|from)){S}(?:ethical|moral|content|safety){S}{_LIMITS}\b",
        ("ethical", "moral", "content", "safety"),
    ),
    "stay_in_character": (0.35, rf"\b(?:(?:stay|remain){S}in{S}character|never{S}break{S}character)\b", ("character",)),
    "bypass_your_safety": (
        0.75,
        rf"\b(?:bypass|override|disable|circumvent|turn{S}off|get{S}around){S}(?:all{S}|of{S})?your{S}"
        r"(?:\w+\s+)?(?:filters?|guardrails?|restrictions|safeguards|censorship|safety|alignment|programming)\b",
        ("your",),
    ),
    "bypass_safety": (
        0.3,
        rf"\b(?:bypass|override|disable|circumvent){S}(?:the{S}|all{S}|any{S})?(?:safety|content){S}"
        r"(?:filters?|guardrails?|restrictions|safeguards)\b",
        ("bypass", "override", "disable", "circumvent"),
    ),
    "system_tag": (
        0.6,
        r"<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?(?:inst|system)\]|<</?sys>>"
        r"|(?:^|\n)\s*(?:#{2,}\s*)?(?:system|new\s+instructions)\s*(?:override|message|prompt)?\s*:",
        ("<|", "[", "<<", "system", "instructions"),
    ),
    "encoded_payload": (
        0.5,
        r"\b(?:decode|decrypt|deobfuscate|unscramble)(?:\W+\w+){0,6}?\W+(?:and|then)"
        r"(?:\W+\w+)?\W+(?:follow|obey|comply|carry\s+out|do\s+what)\b",
        ("decode", "decrypt", "deobfuscate", "unscramble"),
    ),
    "encoded_instructions": (
        0.4,
        rf"\b(?:base-?(?:64|6a)|rot-?(?:13|ie)|hex|morse|binary){S}(?:encoded{S})?(?:instructions?|prompt|payload)\b",
        ("base", "base6a", "rot", "rotie", "hex", "morse", "binary"),
    ),
    "base64_blob": (0.2, r"[a-z0-9+/]{60,}={0,2}", ("decode", "base", "base6a", "encoded", "payload", "instructions")),
    "hide_from_user": (
        0.3, rf"\b(?:do{S}not|don't|never){S}(?:tell|inform|alert|mention{S}this{S}to){S}the{S}user\b",
        ("user",),
    ),
    "pwned": (0.6, rf"\b(?:i{S}have{S}been{S})?pwned\b", ("pwned",)),
}


def normalize_for_matching(text: str) -> tuple[str, list[int] | None]:
    """Normalise ``text`` for pattern matching; return it with a map from its offsets to the original's
    (``None`` when offsets are unchanged, the common all-ASCII case)."""
    if text.isascii():
        return text.lower().translate(_LEET), None
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch in _ZERO_WIDTH:
            continue
        folded = (ch if ch.isascii() else unicodedata.normalize("NFKC", ch)).lower()
        out.append(folded)
        index.extend([i] * len(folded))
    return "".join(out).translate(_LEET), index


class PromptInjectionCheck(Check):
    """Prompt-injection and jailbreak attempts, scored from weighted patterns (see module docstring).

    Parameters: ``threshold`` (0.5), ``disable`` (pattern ids to drop), ``patterns`` (extra or replaced
    patterns, ``{id: {"pattern": regex, "weight": w, "anchors": [...]}}``; an anchor is a lower-case word,
    or any other substring of the raw text; without anchors a pattern runs on every text). Findings carry the combined ``score`` and the pattern id as ``kind``, one per
    matched phrase.
    """

    name = "prompt_injection"
    category = "injection"

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        disable: Sequence[str] = (),
        patterns: Mapping[str, Mapping[str, Any]] | None = None,
        **base: object,
    ) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        require(0 < threshold <= 1, "params.threshold: must be in (0, 1]")
        unknown = sorted(set(disable) - set(INJECTION_PATTERNS))
        require(not unknown, f"params.disable: unknown pattern id(s) {unknown}; known: {sorted(INJECTION_PATTERNS)}")
        table = {key: value for key, value in INJECTION_PATTERNS.items() if key not in set(disable)}
        for key, spec in (patterns or {}).items():
            require(isinstance(spec, Mapping) and "pattern" in spec, f"params.patterns.{key}: needs 'pattern'")
            weight = float(spec.get("weight", 0.5))
            require(0 < weight <= 1, f"params.patterns.{key}.weight: must be in (0, 1]")
            try:
                re.compile(spec["pattern"])
            except re.error as exc:
                raise ValueError(f"params.patterns.{key}.pattern: invalid regex: {exc}") from None
            table[key] = (weight, spec["pattern"], tuple(str(a).lower() for a in spec.get("anchors", ())))
        require(bool(table), "params: every pattern is disabled")
        self.threshold = threshold
        self.weights = {key: weight for key, (weight, _, _) in table.items()}
        custom = set(patterns or {})  # a policy's own patterns match under a time limit (guardrails._regex)
        self._patterns = {key: PolicyPattern(regex) if key in custom else re.compile(regex)
                          for key, (_, regex, _) in table.items()}
        self._always = [key for key, (_, _, anchors) in table.items() if not anchors]
        self._words: dict[str, set[str]] = {}
        self._substrings: dict[str, set[str]] = {}
        for key, (_, _, anchors) in table.items():
            for anchor in anchors:
                index = self._words if anchor.isalpha() and anchor.isascii() else self._substrings
                index.setdefault(anchor, set()).add(key)
        self._word_set = frozenset(self._words)
        self._word_bytes = frozenset(word.encode() for word in self._words)

    def score(self, text: str) -> tuple[float, list[tuple[str, int, int]]]:
        """The combined score of ``text`` and the matched ``(pattern id, start, end)`` in original offsets."""
        candidates = set(self._always)
        for anchor, keys in self._substrings.items():
            if anchor in text:
                candidates |= keys
        if text.isascii():
            # Gate on bytes (several times faster than str.translate); normalise only texts that pass.
            for raw in self._word_bytes.intersection(text.encode().lower().translate(_GATE_BYTES).split()):
                candidates |= self._words[raw.decode()]
            if not candidates:
                return 0.0, []
            normalized, index = text.lower().translate(_LEET), None
        else:
            normalized, index = normalize_for_matching(text)
            for word in self._word_set.intersection(normalized.translate(_PUNCTUATION).split()):
                candidates |= self._words[word]
        hits: list[tuple[str, int, int]] = []
        for key in candidates:
            try:
                for m in self._patterns[key].finditer(normalized):
                    start, end = m.span()
                    if index is not None:
                        start, end = index[start], index[max(start, end - 1)] + 1
                    hits.append((key, start, end))
            except RegexTimeout:  # a policy pattern that backtracks without end counts as a hit (fail closed)
                hits.append((key, 0, len(text)))
        keep = 1.0
        for key in {key for key, _, _ in hits}:
            keep *= 1.0 - self.weights[key]
        hits.sort(key=lambda hit: hit[1])
        return 1.0 - keep, hits

    def scan(self, text: str) -> list[Finding]:
        score, hits = self.score(text)
        if not hits or score < self.threshold:
            return []
        score = round(score, 4)
        return [self.finding(text, start, end, kind=key, score=score) for key, start, end in hits]
