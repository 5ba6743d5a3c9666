"""Near-duplicate detection: GenLoop's numpy MinHash + LSH against datasketch, side by side in one run.

    pip install 'genloop[quality,bench]'    # datasketch==2.0.0, the reference
    python bench/bench_quality_dedup.py [--originals 90000] [--copies 10000] [--threshold 0.7] [--num-perm 128]

Generates a seeded corpus: ``originals`` documents of 20-200 words drawn from a 50,000-word Zipf-like
vocabulary, and ``copies`` perturbed copies of randomly chosen originals (3% of the words replaced, deleted
or inserted). Both libraries get the same texts, the same word 3-gram shingles (lower-cased words), the
same ``num_perm`` and threshold:

- datasketch: ``MinHash.bulk`` then ``MinHashLSH`` (its own optimal bands and rows), every document inserted
  and queried; its candidate pairs are the pairs reported.
- genloop: ``genloop.quality.find_near_duplicates`` (vectorised shingling, signatures, banding, candidate
  pairs verified on the signatures).

Reported: seconds from texts to pairs (shingling included for both), documents per second, the recall of
the planted (original, copy) pairs, and the reported pairs that were not planted ("false pairs"; originals
are independent random texts, so any other pair is a false positive). The goal: genloop >= 5x datasketch's
throughput with recall >= datasketch's and no more false pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time

import numpy as np

_WORD = re.compile(r"\w+")


def corpus(originals: int, copies: int, seed: int, edit: float = 0.03) -> tuple[list[str], set[tuple[int, int]]]:
    """``originals`` random documents and ``copies`` perturbed copies; the planted pairs (original, copy)."""
    rng = np.random.default_rng(seed)
    size = 50_000
    vocab = np.array([f"w{i}" for i in range(size)])
    weights = 1.0 / np.arange(1, size + 1) ** 0.8
    weights /= weights.sum()
    lengths = rng.integers(20, 201, originals)
    tokens = rng.choice(size, size=int(lengths.sum()), p=weights)
    docs = np.split(tokens, np.cumsum(lengths)[:-1])
    texts = [" ".join(vocab[d]) for d in docs]
    planted = set()
    for k, source in enumerate(rng.choice(originals, copies, replace=False)):
        doc = list(docs[source])
        for _ in range(max(1, round(len(doc) * edit))):
            op, at = rng.integers(3), int(rng.integers(len(doc)))
            if op == 0:
                doc[at] = rng.integers(size)
            elif op == 1 and len(doc) > 2:
                del doc[at]
            else:
                doc.insert(at, rng.integers(size))
        texts.append(" ".join(vocab[doc]))
        planted.add((int(source), originals + k))
    return texts, planted


def run_datasketch(texts: list[str], threshold: float, num_perm: int) -> tuple[set[tuple[int, int]], float]:
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    shingles = []
    for text in texts:
        words = _WORD.findall(text.lower())
        grams = {" ".join(words[i:i + 3]).encode() for i in range(max(1, len(words) - 2))}
        shingles.append(list(grams))
    hashes = MinHash.bulk(shingles, num_perm=num_perm)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for i, m in enumerate(hashes):
        lsh.insert(i, m)
    pairs = set()
    for i, m in enumerate(hashes):
        for j in lsh.query(m):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    return pairs, time.perf_counter() - started


def run_genloop(texts: list[str], threshold: float, num_perm: int) -> tuple[set[tuple[int, int]], float]:
    from genloop.quality import find_near_duplicates, split_words

    started = time.perf_counter()
    found = find_near_duplicates(split_words(texts), threshold=threshold, num_perm=num_perm, ngram=3)
    pairs = {(int(i), int(j)) for i, j in found.pairs}
    return pairs, time.perf_counter() - started


def score(name: str, pairs: set[tuple[int, int]], seconds: float, planted: set[tuple[int, int]],
          docs: int) -> dict[str, float | int | str]:
    return {"library": name, "seconds": round(seconds, 2), "docs_per_s": round(docs / seconds),
            "recall": round(len(pairs & planted) / len(planted), 4), "false_pairs": len(pairs - planted),
            "pairs": len(pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--originals", type=int, default=90_000)
    parser.add_argument("--copies", type=int, default=10_000)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts, planted = corpus(args.originals, args.copies, args.seed)
    results = []
    for name, fn in (("genloop", run_genloop), ("datasketch", run_datasketch)):
        pairs, seconds = fn(texts, args.threshold, args.num_perm)
        results.append(score(name, pairs, seconds, planted, len(texts)))
    ratio = results[0]["docs_per_s"] / results[1]["docs_per_s"]  # type: ignore[operator]
    summary = {"docs": len(texts), "planted_pairs": len(planted), "threshold": args.threshold,
               "num_perm": args.num_perm, "results": results, "throughput_ratio": round(ratio, 2),
               "load_average": os.getloadavg()[0]}
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"{len(texts):,} documents, {len(planted):,} planted pairs, threshold {args.threshold}, "
          f"num_perm {args.num_perm} (load average {summary['load_average']:.1f})")
    for r in results:
        print(f"  {r['library']:<11} {r['seconds']:>7.2f} s  {r['docs_per_s']:>8,} docs/s  recall {r['recall']:.4f}  "
              f"false pairs {r['false_pairs']}")
    print(f"  genloop / datasketch throughput: {ratio:.1f}x")


if __name__ == "__main__":
    main()
