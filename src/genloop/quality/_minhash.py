"""Near-duplicate detection: MinHash signatures and banded LSH, vectorised with numpy.

Each text's word n-gram hashes (``_tokens``, 32 bits of each) are permuted ``num_perm`` times by
``(a * x + b) mod 2**32`` with random odd ``a`` (a bijection of 32-bit values), and the minimum per
text is kept, a block of texts at a time. The signature is cut into ``bands`` bands of ``rows`` values (chosen like
datasketch's ``MinHashLSH`` to balance false positives and negatives at the threshold); texts whose
band hashes collide are candidates, and a candidate pair is kept only when the share of equal
signature values (the Jaccard estimate) reaches the threshold. Kept pairs are joined into clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genloop.errors import InvalidInput
from genloop.quality._tokens import Words, mix64, ngram_hashes

__all__ = ["NearDuplicates", "clusters_from_pairs", "find_near_duplicates", "lsh_params", "signatures"]

_EMPTY = np.uint32(0xFFFFFFFF)
_BLOCK = 1 << 14  # n-grams per block: the (block x num_perm) matrix stays in cache
_STAR_ABOVE = 64  # bucket size from which members are compared to its first member only


def check_threshold(threshold: float) -> float:
    """A similarity threshold in (0, 1]."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise InvalidInput(f"threshold must be in (0, 1], got {threshold!r}",
                           hint="e.g. 0.8 keeps pairs whose word n-grams are 80% shared")
    return float(threshold)


def signatures(grams: np.ndarray, parent: np.ndarray, num_texts: int, num_perm: int = 128,
               seed: int = 1) -> np.ndarray:
    """MinHash signatures, a ``(num_texts, num_perm)`` uint32 matrix; a text without n-grams is all ``2**32-1``."""
    rng = np.random.default_rng(seed)
    a = (rng.integers(0, 2**31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1))[:, None]
    b = rng.integers(0, 2**32, num_perm, dtype=np.uint64).astype(np.uint32)[:, None]
    out = np.full((num_perm, num_texts), _EMPTY, np.uint32)
    if len(grams) == 0:
        return out.T
    x = (grams >> np.uint64(32)).astype(np.uint32)
    cuts = np.flatnonzero(np.diff(parent)) + 1
    starts = np.concatenate([[0], cuts])
    owners = parent[starts]
    # blocks end at a text boundary, so each text's minimum is taken within one block; the
    # (num_perm x block) layout keeps each permutation's reduction on contiguous memory
    edges = np.searchsorted(starts, np.arange(0, len(grams), _BLOCK), side="right") - 1
    edges = np.unique(np.concatenate([edges, [len(starts)]]))
    buffer = np.empty((num_perm, 2 * _BLOCK), np.uint32)
    with np.errstate(over="ignore"):
        for first, last in zip(edges[:-1], edges[1:], strict=True):
            lo = starts[first]
            hi = starts[last] if last < len(starts) else len(grams)
            work = buffer[:, :hi - lo] if hi - lo <= buffer.shape[1] else np.empty((num_perm, hi - lo), np.uint32)
            np.multiply(a, x[None, lo:hi], out=work)
            np.add(work, b, out=work)
            out[:, owners[first:last]] = np.minimum.reduceat(work, starts[first:last] - lo, axis=1)
    return np.ascontiguousarray(out.T)


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` minimising the equal-weighted false positive and negative areas (datasketch's rule)."""
    s = np.linspace(0.0, 1.0, 201)
    best, best_cost = (1, num_perm), np.inf
    for bands in range(1, num_perm + 1):
        rows = num_perm // bands
        p = 1.0 - (1.0 - s ** rows) ** bands
        fp = np.trapezoid(p[s <= threshold], s[s <= threshold])
        fn = np.trapezoid(1.0 - p[s >= threshold], s[s >= threshold])
        cost = 0.5 * fp + 0.5 * fn
        if cost < best_cost:
            best, best_cost = (bands, rows), cost
    return best


def candidate_pairs(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, that share a band hash in at least one band (as an ``(k, 2)`` array)."""
    n = sig.shape[0]
    valid = sig[:, 0] != _EMPTY
    found: list[np.ndarray] = []
    with np.errstate(over="ignore"):
        for band in range(bands):
            h = np.full(n, np.uint64(band), np.uint64)
            for col in range(band * rows, (band + 1) * rows):
                h = mix64(h ^ sig[:, col].astype(np.uint64))
            idx = np.flatnonzero(valid)
            order = idx[np.argsort(h[idx], kind="stable")]
            hs = h[order]
            same = np.flatnonzero(hs[1:] == hs[:-1])
            if not len(same):
                continue
            found.append(_bucket_pairs(order, hs, same))
    if not found:
        return np.zeros((0, 2), np.int64)
    pairs = np.concatenate(found)
    pairs.sort(axis=1)
    keys = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([keys // n, keys % n], axis=1)


def _bucket_pairs(order: np.ndarray, hs: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Pairs within each run of equal hashes: all pairs in small buckets, a star around the first in large ones."""
    run_start = np.ones(len(hs), bool)
    run_start[1:] = hs[1:] != hs[:-1]
    run_id = np.cumsum(run_start) - 1
    first_of_run = np.flatnonzero(run_start)
    sizes = np.diff(np.concatenate([first_of_run, [len(hs)]]))
    members = np.flatnonzero(sizes[run_id] > 1)
    head = first_of_run[run_id[members]]
    star = np.stack([order[head], order[members]], axis=1)[head != members]
    small = np.flatnonzero((sizes > 2) & (sizes < _STAR_ABOVE))
    extra = [star]
    for r in small:
        group = order[first_of_run[r]:first_of_run[r] + sizes[r]]
        i, j = np.triu_indices(len(group), 1)
        keep = i > 0  # pairs with the head are in ``star`` already
        extra.append(np.stack([group[i[keep]], group[j[keep]]], axis=1))
    return np.concatenate(extra)


def similar(sig: np.ndarray, pairs: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The pairs whose estimated Jaccard similarity reaches ``threshold``, and their estimates."""
    if len(pairs) == 0:
        return pairs, np.zeros(0)
    estimates = np.empty(len(pairs))
    for lo in range(0, len(pairs), 1 << 15):
        part = pairs[lo:lo + (1 << 15)]
        estimates[lo:lo + len(part)] = (sig[part[:, 0]] == sig[part[:, 1]]).mean(axis=1)
    keep = estimates >= threshold
    return pairs[keep], estimates[keep]


def clusters_from_pairs(num: int, pairs: np.ndarray) -> np.ndarray:
    """Connected components: for each item, the smallest index in its cluster."""
    labels = np.arange(num, dtype=np.int64)
    if len(pairs) == 0:
        return labels
    i, j = pairs[:, 0], pairs[:, 1]
    while True:
        low = np.minimum(labels[i], labels[j])
        before = labels.copy()
        np.minimum.at(labels, i, low)
        np.minimum.at(labels, j, low)
        labels = labels[labels]
        while not np.array_equal(labels, labels[labels]):
            labels = labels[labels]
        if np.array_equal(labels, before):
            return labels


@dataclass
class NearDuplicates:
    """The similar pairs found (``i < j``), their Jaccard estimates, and each text's cluster (smallest member)."""

    pairs: np.ndarray
    similarity: np.ndarray
    cluster: np.ndarray
    bands: int
    rows: int


def find_near_duplicates(words: Words, *, threshold: float = 0.8, num_perm: int = 128, ngram: int = 3,
                         seed: int = 1) -> NearDuplicates:
    """Near-duplicate pairs and clusters among the texts of ``words`` (MinHash + LSH over word n-grams)."""
    check_threshold(threshold)
    if isinstance(num_perm, bool) or not isinstance(num_perm, int) or not 16 <= num_perm <= 1024:
        raise InvalidInput(f"num_perm must be an integer from 16 to 1024, got {num_perm!r}", hint="128 is usual")
    if isinstance(ngram, bool) or not isinstance(ngram, int) or not 1 <= ngram <= 32:
        raise InvalidInput(f"ngram must be an integer from 1 to 32, got {ngram!r}", hint="3 word shingles is usual")
    grams, parent = ngram_hashes(words, ngram)
    sig = signatures(grams, parent, words.num_texts, num_perm, seed)
    bands, rows = lsh_params(threshold, num_perm)
    pairs, estimates = similar(sig, candidate_pairs(sig, bands, rows), threshold)
    return NearDuplicates(pairs, estimates, clusters_from_pairs(words.num_texts, pairs), bands, rows)
