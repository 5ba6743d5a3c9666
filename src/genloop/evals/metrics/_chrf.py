"""chrF (Popovic, 2015) with sacrebleu's default settings and the same numbers.

Defaults as ``sacrebleu.corpus_chrf`` / ``sentence_chrf``: character n-grams of orders 1-6, whitespace
removed before extraction, beta = 2, case sensitive, no word n-grams (not chrF++), no epsilon smoothing:
precision and recall are averaged over the orders that have both hypothesis and reference n-grams, then
combined into F-beta. With several references a segment keeps the statistics of its best-scoring one.
Corpus chrF sums the per-order counts of all segments before computing one score.

Fast path: the n-grams of all orders of a whitespace-free string become one sorted int64 array (each
character a digit ``code point + 1`` in base ``max code point + 2``, so n-grams of different orders never
share a key); the clipped matches of every order are then counted with ``searchsorted`` on the two sorted
arrays: the k-th copy of a key in the hypothesis matches if the reference holds more than k copies.
Texts whose alphabet is too large for 6 digits in 63 bits fall back to ``Counter``s (same numbers).

Scale: GenLoop reports chrF in [0, 1] (sacrebleu's number divided by 100), computed in sacrebleu's
0-100 scale first so the two agree to the last bit before that division.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = ["chrf_from_statistics", "chrf_statistics", "corpus_chrf", "sentence_chrf"]

CHAR_ORDER = 6
BETA = 2


_MAX_KEY = 1 << 63


def _char_ngrams(text: str) -> list[Counter]:
    grams = [Counter(text)]
    for n in range(2, CHAR_ORDER + 1):
        grams.append(Counter([text[i:i + n] for i in range(len(text) - n + 1)]))
    return grams


def _counter_stats(hyp: str, ref: str) -> list[int]:
    """Per order: hypothesis n-grams (0 when the reference has none), reference n-grams, clipped matches."""
    stats: list[int] = []
    for hyp_counts, ref_counts in zip(_char_ngrams(hyp), _char_ngrams(ref), strict=True):
        hits = 0
        get = ref_counts.get
        for gram, count in hyp_counts.items():
            other = get(gram)
            if other:
                hits += count if count < other else other
        stats += (hyp_counts.total() if ref_counts else 0, ref_counts.total(), hits)
    return stats


def _sorted_keys(digits: np.ndarray, base: int) -> np.ndarray:
    parts = [digits]
    keys = digits
    for n in range(1, CHAR_ORDER):
        keys = keys[:-1] * base + digits[n:]
        parts.append(keys)
    out = np.concatenate(parts)
    out.sort()
    return out


def _digits(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate (any Python str may hold one) is one code point like any other
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)


def _match_stats(hyp: str, ref: str) -> list[int]:
    """The statistics of ``_counter_stats``, counted on sorted integer keys."""
    hyp_digits, ref_digits = _digits(hyp), _digits(ref)
    base = max(int(hyp_digits.max(initial=0)), int(ref_digits.max(initial=0))) + 2
    if base**CHAR_ORDER >= _MAX_KEY:
        _, dense = np.unique(np.concatenate([hyp_digits, ref_digits]), return_inverse=True)
        base = int(dense.max(initial=0)) + 2
        if base**CHAR_ORDER >= _MAX_KEY:
            return _counter_stats(hyp, ref)
        hyp_digits, ref_digits = dense[: len(hyp_digits)], dense[len(hyp_digits):]
    hyp_keys = _sorted_keys(hyp_digits + 1, base)
    ref_keys = _sorted_keys(ref_digits + 1, base)
    copy_index = np.arange(len(hyp_keys)) - np.searchsorted(hyp_keys, hyp_keys, "left")
    in_ref = np.searchsorted(ref_keys, hyp_keys, "right") - np.searchsorted(ref_keys, hyp_keys, "left")
    matched = np.concatenate(([0], np.cumsum(copy_index < in_ref)))
    # keys of order n lie in [base^(n-1), base^n): the sorted array is grouped by order
    ends = matched[np.searchsorted(hyp_keys, base ** np.arange(1, CHAR_ORDER + 1, dtype=np.int64))].tolist()
    stats: list[int] = []
    previous = 0
    for n in range(1, CHAR_ORDER + 1):
        ref_total = max(len(ref) - n + 1, 0)
        stats += (max(len(hyp) - n + 1, 0) if ref_total else 0, ref_total, ends[n - 1] - previous)
        previous = ends[n - 1]
    return stats


def _f_score(stats: Sequence[int]) -> float:
    """F-beta of the precision and recall averaged over the effective orders, in sacrebleu's 0-100 scale."""
    factor = BETA**2
    avg_prec = avg_rec = 0.0
    effective = 0
    for i in range(0, len(stats), 3):
        n_hyp, n_ref, n_match = stats[i], stats[i + 1], stats[i + 2]
        if n_hyp > 0 and n_ref > 0:
            avg_prec += n_match / n_hyp
            avg_rec += n_match / n_ref
            effective += 1
    if effective == 0:
        return 0.0
    avg_prec /= effective
    avg_rec /= effective
    if not avg_prec + avg_rec:
        return 0.0
    score = (1 + factor) * avg_prec * avg_rec
    score /= (factor * avg_prec) + avg_rec
    return 100 * score


def _segment_stats(hypothesis: str, references: Sequence[str | None]) -> list[int]:
    hyp = "".join(hypothesis.split())
    best: list[int] = []
    best_score = -1.0
    for reference in references:
        if reference is None:
            continue
        stats = _match_stats(hyp, "".join(reference.split()))
        score = _f_score(stats)
        if score > best_score:
            best, best_score = stats, score
    if not best:
        raise ValueError("chrF needs at least one reference per segment")
    return best


def _as_list(references: str | Sequence[str | None]) -> Sequence[str | None]:
    return [references] if isinstance(references, str) else references


def sentence_chrf(hypothesis: str, references: str | Sequence[str]) -> float:
    """Sentence chrF in [0, 1], equal to ``sacrebleu.sentence_chrf(hyp, refs).score / 100``."""
    return _f_score(_segment_stats(hypothesis, _as_list(references))) / 100


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str | Sequence[str | None]]) -> float:
    """Corpus chrF in [0, 1], equal to ``sacrebleu.corpus_chrf(hyps, ref_streams).score / 100``.

    ``references[i]`` holds the reference(s) of ``hypotheses[i]`` (sacrebleu takes one list per stream).
    """
    totals = [0] * (3 * CHAR_ORDER)
    for stats in chrf_statistics(hypotheses, references):
        for k, value in enumerate(stats):
            totals[k] += value
    return chrf_from_statistics(totals)


def chrf_statistics(hypotheses: Sequence[str], references: Sequence[str | Sequence[str | None]]) -> list[list[int]]:
    """Per segment, (hypothesis, reference, matching) character n-gram counts for n = 1..6: corpus chrF is
    ``chrf_from_statistics`` of their column sums."""
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_chrf: {len(hypotheses)} hypotheses but {len(references)} references")
    return [_segment_stats(h, _as_list(refs)) for h, refs in zip(hypotheses, references, strict=True)]


def chrf_from_statistics(totals: Sequence[int]) -> float:
    """Corpus chrF in [0, 1] from summed segment statistics (see :func:`chrf_statistics`)."""
    return _f_score(totals) / 100
