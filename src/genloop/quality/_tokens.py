"""Words and word n-grams of many texts at once, as numpy arrays (no Python loop per word).

Texts are lower-cased and cut into words (runs of letters, digits and ``_``) by pyarrow's compute
kernels; tokens are split at white space and stripped of punctuation;
each distinct word is hashed once with a vectorised 64-bit FNV-1a plus a splitmix finaliser,
so a word always gets the same hash, in every dataset and every process. An n-gram's hash folds the
hashes of its words; :func:`ngram_hashes` returns them with the index of the text each belongs to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Words", "count_words", "hash_strings", "mix64", "ngram_hashes", "split_words"]

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_FOLD = np.uint64(0x9E3779B97F4A7C15)
_NON_WORD = r"[^\w]+"


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on uint64 values: every input bit affects every output bit."""
    with np.errstate(over="ignore"):
        z = values >> np.uint64(30)
        z ^= values
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def _buffers(strings: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """``strings`` as one large_string array (nulls as ""), its offsets and its UTF-8 bytes."""
    array = strings.cast(pa.large_string()).fill_null("")
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + n + 1]
    data_buffer = array.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return array, offsets, data


def hash_strings(strings: pa.Array) -> np.ndarray:
    """A deterministic uint64 hash of each string of ``strings`` (nulls hash like the empty string).

    Short strings (words) are hashed together by a vectorised FNV-1a; long ones (documents) one by one with
    BLAKE2b, which is faster than a byte-at-a-time loop once strings are longer than a few dozen bytes.
    """
    array, offsets, data = _buffers(strings)
    n = len(array)
    if n == 0:
        return np.zeros(0, np.uint64)
    if (offsets[-1] - offsets[0]) > 32 * n:
        digests = (hashlib.blake2b(b, digest_size=8).digest() for b in array.cast(pa.large_binary()).to_pylist())
        return np.frombuffer(b"".join(digests), dtype="<u8").astype(np.uint64)
    lengths = np.diff(offsets)
    order = np.argsort(-lengths, kind="stable")  # longest first: the strings still hashing are a prefix
    starts = offsets[:-1][order]
    remaining = lengths[order]
    h = np.full(n, _FNV_OFFSET, np.uint64)
    active = n
    position = 0
    with np.errstate(over="ignore"):
        while active:
            while active and remaining[active - 1] <= position:
                active -= 1
            if not active:
                break
            h[:active] ^= data[starts[:active] + position].astype(np.uint64)
            h[:active] *= _FNV_PRIME
            position += 1
    out = np.empty(n, np.uint64)
    out[order] = mix64(h ^ lengths[order].astype(np.uint64))
    return out


_SPACE = np.zeros(256, bool)
_SPACE[[9, 10, 11, 12, 13, 32]] = True


def count_words(strings: pa.Array) -> np.ndarray:
    """Runs of non-white-space characters in each string (ASCII white space), counted on the raw bytes."""
    _, offsets, data = _buffers(strings)
    n = len(offsets) - 1
    if n <= 0:
        return np.zeros(0, np.int64)
    text = data[offsets[0]:offsets[-1]]
    space = _SPACE[text]
    before = np.empty(len(text), bool)
    if len(text):
        before[0] = True
        before[1:] = space[:-1]
        before[offsets[:-1][offsets[:-1] < offsets[-1]] - offsets[0]] = True  # a string's first byte starts a run
    starts = np.concatenate([[0], np.cumsum(~space & before)])
    return starts[offsets[1:] - offsets[0]] - starts[offsets[:-1] - offsets[0]]


@dataclass
class Words:
    """The words of ``num_texts`` texts: each word's hash and the index of the text it is in (ascending)."""

    hashes: np.ndarray
    text_index: np.ndarray
    num_texts: int

    def counts(self) -> np.ndarray:
        """Words per text."""
        return np.bincount(self.text_index, minlength=self.num_texts)


def split_words(texts: pa.Array | list[str]) -> Words:
    """Lower-case ``texts`` and cut them into words; nulls have no words."""
    array = pa.array(texts, pa.large_string()) if isinstance(texts, list) else texts
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    lists = pc.utf8_split_whitespace(pc.utf8_lower(array))
    flat = pc.list_flatten(lists)
    parents = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    if len(flat) == 0:
        return Words(np.zeros(0, np.uint64), parents, len(array))
    encoded = pc.dictionary_encode(flat)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    # punctuation is dropped from each distinct token (not from each occurrence): "Hello," is "hello"
    vocabulary = pc.replace_substring_regex(encoded.dictionary, _NON_WORD, "")
    indices = np.asarray(encoded.indices, dtype=np.int64)
    empty = np.asarray(pc.equal(pc.utf8_length(vocabulary), 0))
    hashes = hash_strings(vocabulary)[indices]
    if empty.any():
        keep = ~empty[indices]
        hashes, parents = hashes[keep], parents[keep]
    return Words(hashes, parents, len(array))


def ngram_hashes(words: Words, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every word ``n``-gram and the text each is in (ascending).

    An n-gram's hash is ``((w1 * F + w2) * F + w3 ...) mod 2**64`` over its words' (mixed) hashes, so
    its high bits depend on every word.
    A text with fewer than ``n`` words contributes one n-gram made of all its words, so short texts
    still match each other exactly.
    """
    h, parent = words.hashes, words.text_index
    if n <= 1 or len(h) == 0:
        return h, parent
    counts = words.counts()
    m = len(h) - n + 1
    with np.errstate(over="ignore"):
        if m > 0:
            acc = h[:m].copy()
            for j in range(1, n):
                acc *= _FOLD
                acc += h[j:j + m]
            full = parent[:m] == parent[n - 1:]
            grams, grams_parent = acc[full], parent[:m][full]
        else:
            grams, grams_parent = np.zeros(0, np.uint64), np.zeros(0, np.int64)
        short = np.flatnonzero((counts > 0) & (counts < n))
        if len(short):
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            acc_short = np.zeros(len(short), np.uint64)
            for j in range(n - 1):
                has = counts[short] > j
                acc_short[has] = acc_short[has] * _FOLD + h[starts[short[has]] + j]
            grams = np.concatenate([grams, acc_short])
            grams_parent = np.concatenate([grams_parent, short.astype(np.int64)])
            order = np.argsort(grams_parent, kind="stable")
            grams, grams_parent = grams[order], grams_parent[order]
    return grams, grams_parent
