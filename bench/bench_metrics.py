"""GenLoop's BLEU, chrF and ROUGE against sacrebleu and Google's rouge-score: same values, side by side.

    python bench/bench_metrics.py               # 100,000 pairs
    python bench/bench_metrics.py --n 20000     # a quicker run

Generates (hypothesis, reference) pairs with a fixed seed: sentences of 10-40 words drawn (Zipf-like) from a
word list built below, with punctuation, numbers, a few non-ASCII words, hypotheses edited from their
references (drops, substitutions, insertions, a swap), and about a third of the texts split over two or three
lines (so ROUGE-Lsum does real summary-level work). Each metric is timed for both implementations in the same
process, alternating chunks of pairs so that load on the machine hits both alike, and every value is checked
to be identical (maximum absolute difference below 1e-9; in practice 0).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import sacrebleu
from rouge_score import rouge_scorer

from genloop.evals.metrics import ROUGE_TYPES, corpus_bleu, corpus_chrf, rouge_scores, sentence_bleu, sentence_chrf

COMMON = """the of and to a in is that for it as was with be by on not he this are or his from at which but have an
they you were her she there one all we their has been would will more if no when who so can what said about out
up them into than other some could time these two may then do first any my now such like our over man me even most
made after also did many before must through back years where much your way well down should because each just
those people how too little state good very make world still own see men work long get here between both life
being under never day same another know while last might us great old year off come since against go came right
used take three""".split()
CONTENT = """model models modeling evaluation evaluations evaluated evaluating generative language languages translation
translations translated translating metric metrics score scores scoring scored benchmark benchmarks reference
references hypothesis hypotheses summary summaries summarization summarize summarized sentence sentences research
researchers analysis analyses analyzing analyzed dataset datasets training trained trains prompt prompts prompting
response responses responded answer answers answered question questions questioned system systems systematic
performance performing performed improvement improvements improved improving quality qualities relational
conditional rational national nationally international organization organizational generalization generously
emotionally fulfilling argued arguing agreement agreements measurement measurements developed developing
development developments relationships possibility possibilities responsibility responsible beautifully beauty
happily quickly running jumped connected connecting connection connections traditionally hopeful hopefulness
goodness revival allowance inference adjustable replacement adjustment dependent adoption effective activate
skies dying lying news succeeded exceeded proceeding cried crying flies flying tried trying enjoy enjoyed
enjoyment geology philosophy philosophical archaeology city cities country countries government governments
company companies market markets price prices report reports reported reporting policy policies economic
economy economies growth increase increased increasing decrease decreased students teachers school schools
university universities health hospital hospitals patients doctors treatment treatments disease diseases""".split()
SPECIAL = ["café", "naïve", "Zürich", "don't", "it's", "U.S.", "e-mail", "10-year", "3.5", "2,000", "$100", "&amp;",
           "(see", "note)", "“quoted”", "São", "Ελλάδα", "東京"]
WORDS = COMMON + CONTENT
CUMULATIVE = list(itertools.accumulate(1.0 / (rank + 8) for rank in range(len(WORDS))))  # Zipf-like weights


def sentence(rng: random.Random, size: int) -> str:
    words = rng.choices(WORDS, cum_weights=CUMULATIVE, k=size)
    for i in range(size):
        if rng.random() < 0.02:
            words[i] = rng.choice(SPECIAL)
        elif rng.random() < 0.07:
            words[i] += ","
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", ".", ".", "!", "?", ""])


def edit(rng: random.Random, text: str) -> str:
    rate = rng.uniform(0.05, 0.6)
    out: list[str] = []
    for token in text.split(" "):
        roll = rng.random()
        if roll < rate / 3:
            continue
        out.append(rng.choices(WORDS, cum_weights=CUMULATIVE)[0] if roll < 2 * rate / 3 else token)
        if roll > 1 - rate / 4:
            out.append(rng.choices(WORDS, cum_weights=CUMULATIVE)[0])
    if len(out) > 2 and rng.random() < rate:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out) or "empty"


def lines(rng: random.Random, text: str) -> str:
    if rng.random() >= 0.35:
        return text
    words = text.split(" ")
    for _ in range(rng.choice([1, 2])):
        if len(words) > 2:
            cut = rng.randrange(1, len(words))
            words[cut] = "\n" + words[cut]
    return " ".join(words).replace(" \n", "\n")


def make_pairs(n: int, seed: int = 2024) -> list[tuple[str, str]]:
    """``n`` (hypothesis, reference) pairs, the same for the same seed."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        reference = sentence(rng, rng.randint(10, 40))
        pairs.append((lines(rng, edit(rng, reference)), lines(rng, reference)))
    return pairs


def alternate(pairs: list[Any], chunk: int, ours: Callable[[list[Any]], list[Any]],
              theirs: Callable[[list[Any]], list[Any]]) -> tuple[float, float, list[Any], list[Any]]:
    """Run both implementations chunk by chunk, alternating; total seconds and all results of each."""
    t_ours = t_theirs = 0.0
    out_ours: list[Any] = []
    out_theirs: list[Any] = []
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        began = time.perf_counter()
        out_theirs += theirs(part)
        t_theirs += time.perf_counter() - began
        began = time.perf_counter()
        out_ours += ours(part)
        t_ours += time.perf_counter() - began
    return t_ours, t_theirs, out_ours, out_theirs


def max_diff(a: list[float], b: list[float]) -> float:
    assert len(a) == len(b)
    return max((abs(x - y) for x, y in zip(a, b, strict=True)), default=0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="pairs to generate (default 100,000)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--chunk", type=int, default=5_000, help="pairs per alternating chunk")
    args = parser.parse_args()

    began = time.perf_counter()
    pairs = make_pairs(args.n, args.seed)
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    words = sum(len(r.split()) for r in refs) / len(refs)
    multiline = sum("\n" in h or "\n" in r for h, r in pairs) / len(pairs)
    print(f"{args.n:,} pairs (seed {args.seed}), {words:.1f} words per reference, {multiline:.0%} with line breaks, "
          f"generated in {time.perf_counter() - began:.1f} s; Python {sys.version.split()[0]}, "
          f"sacrebleu {sacrebleu.__version__}")
    rows: list[tuple[str, float, float, float]] = []

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    t_ours, t_ref, ours, theirs = alternate(
        pairs, args.chunk,
        lambda part: [rouge_scores(h, r, ROUGE_TYPES, stemmer=True) for h, r in part],
        lambda part: [scorer.score(r, h) for h, r in part])
    diff = max(max_diff([getattr(o[t], f) for o in ours], [getattr(x[t], f) for x in theirs])
               for t in ROUGE_TYPES for f in ("precision", "recall", "fmeasure"))
    rows.append(("ROUGE-1/2/L/Lsum, stemmer (rouge-score)", t_ours, t_ref, diff))

    t_ours, t_ref, ours, theirs = alternate(
        pairs, args.chunk,
        lambda part: [sentence_bleu(h, r).score for h, r in part],
        lambda part: [sacrebleu.sentence_bleu(h, [r]).score / 100 for h, r in part])
    rows.append(("sentence BLEU (sacrebleu)", t_ours, t_ref, max_diff(ours, theirs)))

    t_ours, t_ref, ours, theirs = alternate(
        pairs, args.chunk,
        lambda part: [sentence_chrf(h, r) for h, r in part],
        lambda part: [sacrebleu.sentence_chrf(h, [r]).score / 100 for h, r in part])
    rows.append(("sentence chrF (sacrebleu)", t_ours, t_ref, max_diff(ours, theirs)))

    for name, ours_fn, theirs_fn in [
        ("corpus BLEU (sacrebleu)", lambda: corpus_bleu(hyps, refs).score,
         lambda: sacrebleu.corpus_bleu(hyps, [refs]).score / 100),
        ("corpus chrF (sacrebleu)", lambda: corpus_chrf(hyps, refs),
         lambda: sacrebleu.corpus_chrf(hyps, [refs]).score / 100),
    ]:
        began = time.perf_counter()
        theirs_value = theirs_fn()
        t_ref = time.perf_counter() - began
        began = time.perf_counter()
        ours_value = ours_fn()
        t_ours = time.perf_counter() - began
        rows.append((name, t_ours, t_ref, abs(ours_value - theirs_value)))

    print(f"\n| {'metric (reference)':<40} | {'GenLoop s':>9} | {'reference s':>11} | {'speed-up':>8} | max |diff| |")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 13}|{'-' * 10}|{'-' * 12}|")
    for name, ours_s, ref_s, diff in rows:
        print(f"| {name:<40} | {ours_s:>9.2f} | {ref_s:>11.2f} | {ref_s / ours_s:>7.1f}x | {diff:>10.1e} |")
    failed = [name for name, _, _, diff in rows if not diff < 1e-9]
    if failed:
        print(f"\nVALUES DIFFER for: {', '.join(failed)}")
        return 1
    print("\nall values identical (max |diff| < 1e-9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
