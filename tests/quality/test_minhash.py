"""The vectorised text kernels: word hashing, n-grams, MinHash estimates and LSH near-duplicate detection."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from genloop.errors import InvalidInput
from genloop.quality import find_near_duplicates, split_words
from genloop.quality._minhash import clusters_from_pairs, lsh_params, signatures
from genloop.quality._tokens import hash_strings, ngram_hashes


def test_word_hashes_are_deterministic_and_case_and_punctuation_blind() -> None:
    words = split_words(["Hello, World!", "hello world", "", None, "a  b\tc"])
    assert words.num_texts == 5
    assert words.counts().tolist() == [2, 2, 0, 0, 3]
    assert words.hashes[:2].tolist() == words.hashes[2:4].tolist()
    # a fixed value: the same in every process and release (decontamination indexes rely on it)
    assert int(hash_strings(pa.array(["hello"]))[0]) == 3653398781487292943
    assert len(set(hash_strings(pa.array(["a", "b", "ab", "ba", ""])).tolist())) == 5


def test_ngrams_stay_inside_each_text_and_short_texts_get_one() -> None:
    words = split_words(["a b c d", "x y", "p q r"])
    grams, parent = ngram_hashes(words, 3)
    assert parent.tolist() == [0, 0, 1, 2]
    again, _ = ngram_hashes(split_words(["a b c", "b c d"]), 3)
    assert grams[0] == again[0] and grams[1] == again[1]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def test_minhash_estimates_jaccard() -> None:
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(400)]
    errors = []
    for _ in range(60):
        base = list(rng.choice(vocab, 80))
        other = [w if rng.random() > rng.random() * 0.6 else str(rng.choice(vocab)) for w in base]
        words = split_words([" ".join(base), " ".join(other)])
        grams, parent = ngram_hashes(words, 1)
        sig = signatures(grams, parent, 2, 256)
        estimate = float((sig[0] == sig[1]).mean())
        errors.append(abs(estimate - _jaccard(set(base), set(other))))
    assert np.mean(errors) < 0.03
    assert max(errors) < 0.12


def test_near_duplicates_found_and_unrelated_texts_left_alone() -> None:
    rng = np.random.default_rng(5)
    originals = [" ".join(f"t{x}" for x in rng.integers(0, 5000, 60)) for _ in range(300)]
    copies = []
    for text in originals[:50]:
        tokens = text.split()
        tokens[int(rng.integers(len(tokens)))] = "changed"
        copies.append(" ".join(tokens))
    found = find_near_duplicates(split_words(originals + copies), threshold=0.7)
    pairs = {tuple(p) for p in found.pairs.tolist()}
    planted = {(i, 300 + i) for i in range(50)}
    assert planted <= pairs
    assert pairs - planted == set()
    assert found.cluster[300:].tolist() == list(range(50))
    assert (found.similarity >= 0.7).all()


def test_exactly_equal_texts_are_one_cluster_and_empty_texts_none() -> None:
    found = find_near_duplicates(split_words(["same words here", "same words here", "", ""]), threshold=0.9)
    assert found.cluster.tolist() == [0, 0, 2, 3]


def test_lsh_params_match_datasketch_rule() -> None:
    assert lsh_params(0.7, 128) == (14, 9)
    assert lsh_params(0.5, 128)[0] * lsh_params(0.5, 128)[1] <= 128


def test_clusters_join_chains() -> None:
    labels = clusters_from_pairs(6, np.array([[4, 5], [3, 4], [0, 1]]))
    assert labels.tolist() == [0, 0, 2, 3, 3, 3]


@pytest.mark.parametrize("threshold", [0, -0.1, 1.5, "0.8", True])
def test_threshold_out_of_range(threshold: object) -> None:
    with pytest.raises(InvalidInput, match="threshold must be in"):
        find_near_duplicates(split_words(["a"]), threshold=threshold)  # type: ignore[arg-type]
