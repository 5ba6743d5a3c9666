"""BLEU (Papineni et al., 2002) with sacrebleu's default settings and the same numbers.

Defaults as ``sacrebleu.corpus_bleu`` / ``sentence_bleu``: the ``13a`` tokenizer (mteval-v13a), case
sensitive, n-grams up to 4, ``exp`` smoothing (mteval's: the k-th zero-match order counts as
``1 / (2^k * total)``), brevity penalty against the closest reference length (the shorter on ties),
reference n-gram counts clipped by their maximum over references. Sentence BLEU uses the effective order
(stops at the first order with no hypothesis n-grams), corpus BLEU sums the statistics of all segments
before computing one score, so it is not a mean of sentence scores.

Scale: GenLoop reports BLEU in [0, 1] (sacrebleu's number divided by 100); the arithmetic is done in
sacrebleu's 0-100 scale first so the two agree to the last bit before that division.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = ["BleuScore", "bleu_from_statistics", "bleu_statistics", "corpus_bleu", "sentence_bleu", "tokenize_13a"]

MAX_ORDER = 4

# mteval-v13a: pad every symbol except apostrophe, comma, hyphen and period (a str.translate is the
# same as the regex substitution of single characters, and several times faster) ...
_SYMBOLS = "{|}~[\\]^_` !\"#$%&()*+:;<=>?@/"
_PAD_SYMBOLS = str.maketrans({c: f" {c} " for c in _SYMBOLS})
# ... then periods and commas unless inside a number, and a hyphen after a digit.
_PERIOD_COMMA_AFTER = re.compile(r"([^0-9])([\.,])")
_PERIOD_COMMA_BEFORE = re.compile(r"([\.,])([^0-9])")
_DASH_AFTER_DIGIT = re.compile(r"([0-9])(-)")


class BleuScore(NamedTuple):
    """A BLEU score in [0, 1] with its parts: n-gram precisions (0-1), brevity penalty, lengths."""

    score: float
    precisions: tuple[float, ...]
    bp: float
    sys_len: int
    ref_len: int


# The replacements r"\1 \2 " and r" \1 \2" as functions: Python 3.11 expands templates in Python, slower.
def _pad_second(match: re.Match[str]) -> str:
    return match[1] + " " + match[2] + " "


def _pad_first(match: re.Match[str]) -> str:
    return " " + match[1] + " " + match[2]


def _ngrams(tokens: list[str]) -> list[Counter[Any]]:
    """Counts of the 1- to 4-grams of ``tokens``, one Counter per order."""
    grams: list[Counter[Any]] = [Counter(tokens)]
    for n in range(2, MAX_ORDER + 1):
        grams.append(Counter(zip(*(tokens[k:] for k in range(n)), strict=False)))
    return grams


def _closest_length(hyp_len: int, ref_lens: Sequence[int]) -> int:
    return min(ref_lens, key=lambda r: (abs(hyp_len - r), r))


def _segment_stats(hypothesis: str, references: Sequence[str | None], lowercase: bool) -> list[int]:
    """``[hyp_len, ref_len, correct_1..4, total_1..4]`` of one segment."""
    refs = [r for r in references if r is not None]
    if not refs:
        raise ValueError("BLEU needs at least one reference per segment")
    if lowercase:
        hypothesis, refs = hypothesis.lower(), [r.lower() for r in refs]
    hyp = tokenize_13a(hypothesis)
    ref_tokens = [tokenize_13a(r) for r in refs]
    ref_grams = _ngrams(ref_tokens[0])
    for tokens in ref_tokens[1:]:
        for counts, more in zip(ref_grams, _ngrams(tokens), strict=True):
            for gram, count in more.items():
                if count > counts[gram]:
                    counts[gram] = count
    correct = []
    for counts, hyp_counts in zip(ref_grams, _ngrams(hyp), strict=True):
        hits = 0
        get = counts.get
        for gram, count in hyp_counts.items():
            other = get(gram)
            if other:
                hits += count if count < other else other
        correct.append(hits)
    n = len(hyp)
    total = [max(n - k, 0) for k in range(MAX_ORDER)]
    return [n, _closest_length(n, [len(t) for t in ref_tokens]), *correct, *total]


def _log(p: float) -> float:
    return math.log(p) if p != 0.0 else -9999999999  # sacrebleu floors log(0) like this


def _score_from_stats(stats: Sequence[int], effective_order: bool) -> BleuScore:
    sys_len, ref_len = stats[0], stats[1]
    correct, total = stats[2:2 + MAX_ORDER], stats[2 + MAX_ORDER:]
    bp = 1.0
    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    precisions = [0.0] * MAX_ORDER
    if not any(correct):
        return BleuScore(0.0, tuple(precisions), bp, sys_len, ref_len)
    smooth = 1.0
    order = MAX_ORDER
    for n in range(MAX_ORDER):
        if total[n] == 0:
            break
        if effective_order:
            order = n + 1
        if correct[n] == 0:
            smooth *= 2
            precisions[n] = 100.0 / (smooth * total[n])
        else:
            precisions[n] = 100.0 * correct[n] / total[n]
    score = bp * math.exp(sum([_log(p) for p in precisions[:order]]) / order)
    return BleuScore(score / 100, tuple(p / 100 for p in precisions), bp, sys_len, ref_len)


def _as_list(references: str | Sequence[str | None]) -> Sequence[str | None]:
    return [references] if isinstance(references, str) else references


def sentence_bleu(hypothesis: str, references: str | Sequence[str], *, lowercase: bool = False) -> BleuScore:
    """Sentence BLEU with effective order, equal to ``sacrebleu.sentence_bleu(hyp, refs).score / 100``."""
    return _score_from_stats(_segment_stats(hypothesis, _as_list(references), lowercase), effective_order=True)


def corpus_bleu(
    hypotheses: Sequence[str], references: Sequence[str | Sequence[str | None]], *, lowercase: bool = False
) -> BleuScore:
    """Corpus BLEU over aligned segments, equal to ``sacrebleu.corpus_bleu(hyps, ref_streams).score / 100``.

    ``references[i]`` holds the reference(s) of ``hypotheses[i]`` (sacrebleu takes the transpose: one list
    per reference stream, where ``None`` marks a missing reference).
    """
    totals = [0] * (2 + 2 * MAX_ORDER)
    for stats in bleu_statistics(hypotheses, references, lowercase=lowercase):
        for k, value in enumerate(stats):
            totals[k] += value
    return bleu_from_statistics(totals)


def bleu_statistics(
    hypotheses: Sequence[str], references: Sequence[str | Sequence[str | None]], *, lowercase: bool = False
) -> list[list[int]]:
    """Per segment, ``[hyp_len, ref_len, correct_1..4, total_1..4]``: corpus BLEU is
    ``bleu_from_statistics`` of their column sums (what a bootstrap over segments resamples)."""
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} references")
    return [_segment_stats(h, _as_list(refs), lowercase) for h, refs in zip(hypotheses, references, strict=True)]


def bleu_from_statistics(totals: Sequence[int]) -> BleuScore:
    """Corpus BLEU from summed segment statistics (see :func:`bleu_statistics`)."""
    return _score_from_stats(totals, effective_order=False)


def tokenize_13a(line: str) -> list[str]:
    """The tokens of ``line`` under sacrebleu's ``13a`` tokenizer (after its ``rstrip``)."""
    line = line.rstrip()
    if "<skipped>" in line:
        line = line.replace("<skipped>", "")
    if "\n" in line:
        line = line.replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} ".translate(_PAD_SYMBOLS)
    if "." in line or "," in line:
        line = _PERIOD_COMMA_AFTER.sub(_pad_second, line)
        line = _PERIOD_COMMA_BEFORE.sub(_pad_first, line)
    if "-" in line:
        line = _DASH_AFTER_DIGIT.sub(_pad_second, line)
    return line.split()

