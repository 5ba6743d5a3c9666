"""BLEU, chrF and ROUGE give exactly the numbers of sacrebleu and Google's rouge-score."""

from __future__ import annotations

import random

import pytest

from genloop.evals.metrics import (
    ROUGE_TYPES,
    corpus_bleu,
    corpus_chrf,
    get_metric,
    rouge_scores,
    sentence_bleu,
    sentence_chrf,
)
from genloop.evals.metrics._chrf import _counter_stats, _match_stats

sacrebleu = pytest.importorskip("sacrebleu")
rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")

VOCAB = """the a of and to in is was for on that with as by at from this be are it an or have has not but they we
you which their will would can could should may more most other such time people year way day thing world school
state family student group country problem hand part place case week company system program question work number
night point home water room money story fact month right study book job word business issue side kind head house
service friend power hour game line end member law car city name team minute idea body information back parent
face level office door health person art war history party result change morning reason research running jumped
happily quickly relational conditional generously organizational emotionally fulfilling argued arguing agreement
measurement developed developing development eating eaten nationally international relationships cried crying
flies flying tried trying enjoy enjoyed enjoyment geology philosophy connected connection traditionally
possibility responsibility beautiful analysis analyses analyzing evaluation generative translation summaries
sentence hypothesis references skies dying news succeeded""".split()
EXTRA = ["café", "naïve", "Zürich", "don't", "it's", "U.S.", "e-mail", "10-year", "3.5", "2,000", "$100", "&amp;",
         "(see", "note)", "“quoted”", "—", "東京", "日本語です", "🙂", "İstanbul", "ΣΟΦΙΑ", "<skipped>", "x-\ny"]


def sentence(rng: random.Random, size: int) -> str:
    zipf = [VOCAB[min(int(rng.paretovariate(0.9)) - 1, len(VOCAB) - 1)] for _ in range(size)]
    words = [rng.choice(EXTRA) if rng.random() < 0.06 else word for word in zipf]
    words[0] = words[0].capitalize()
    return " ".join(w + ("," if rng.random() < 0.07 else "") for w in words) + rng.choice([".", "!", "?", ""])


def perturb(rng: random.Random, text: str) -> str:
    p = rng.uniform(0.0, 0.7)
    out: list[str] = []
    for token in text.split(" "):
        roll = rng.random()
        if roll < p / 3:
            continue
        out.append(rng.choice(VOCAB) if roll < 2 * p / 3 else token)
        if roll > 1 - p / 4:
            out.append(rng.choice(VOCAB))
    return " ".join(out)


def split_lines(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(rng.choice([0, 0, 1, 2])):
        if len(words) > 1:
            cut = rng.randrange(1, len(words))
            words[cut] = "\n" + words[cut]
    return " ".join(words).replace(" \n", "\n")


def corpus(n: int, seed: int = 3) -> list[tuple[str, str]]:
    """Realistic (hypothesis, reference) pairs of 1-40 words, some over several lines, plus edge cases."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        reference = sentence(rng, rng.randint(1, 40))
        pairs.append((split_lines(rng, perturb(rng, reference)), split_lines(rng, reference)))
    tiny = "a b a c b".split()
    for _ in range(n // 3):  # short texts over few tokens: many ties between candidate LCS paths
        pairs.append(tuple("\n".join(" ".join(rng.choice(tiny) for _ in range(rng.randint(0, 7)))
                                     for _ in range(rng.randint(1, 3))) for _ in range(2)))  # type: ignore[misc]
    pairs += [("", ""), ("", "a"), ("a", ""), ("...", "a b"), ("a\n\n b", "\n"), (" ", "x"), ("Running ran", "run")]
    return pairs


PAIRS = corpus(300)


@pytest.mark.parametrize("stemmer", [False, True])
def test_rouge_equals_rouge_score(stemmer: bool) -> None:
    types = [*ROUGE_TYPES, "rouge3"]
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=stemmer)
    for hypothesis, reference in PAIRS:
        expected = scorer.score(reference, hypothesis)
        got = rouge_scores(hypothesis, reference, types, stemmer=stemmer)
        for rouge_type in types:
            assert tuple(got[rouge_type]) == tuple(expected[rouge_type]), (rouge_type, hypothesis, reference)


def test_rouge_multi_reference_equals_score_multi() -> None:
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    rng = random.Random(5)
    for hypothesis, reference in PAIRS[:150]:
        references = [reference, rng.choice(PAIRS)[1], perturb(rng, reference)]
        expected = scorer.score_multi(references, hypothesis)
        got = rouge_scores(hypothesis, references, stemmer=True)
        assert {k: tuple(v) for k, v in got.items()} == {k: tuple(v) for k, v in expected.items()}


def test_rouge_metric_object() -> None:
    metric = get_metric({"name": "rouge", "variant": "rougeLsum", "stemmer": True, "measure": "recall"})
    score = metric.score("The cats sat.\nOn mats", "a cat sat on the mat")
    expected = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=True).score(
        "a cat sat on the mat", "The cats sat.\nOn mats")["rougeLsum"]
    assert score.value == expected.recall and score.details == expected._asdict()
    with pytest.raises(Exception, match="needs a reference"):
        metric.score("x", None)


def test_sentence_bleu_and_chrf_equal_sacrebleu() -> None:
    for hypothesis, reference in PAIRS:
        expected = sacrebleu.sentence_bleu(hypothesis, [reference]).score / 100
        assert sentence_bleu(hypothesis, reference).score == expected
        assert sentence_chrf(hypothesis, reference) == sacrebleu.sentence_chrf(hypothesis, [reference]).score / 100


def test_corpus_scores_with_several_references_equal_sacrebleu() -> None:
    rng = random.Random(9)
    hyps = [h for h, _ in PAIRS]
    first = [r for _, r in PAIRS]
    second = [perturb(rng, r) if rng.random() < 0.7 else None for r in first]  # some segments have one reference
    per_item = [[a, b] for a, b in zip(first, second, strict=True)]
    assert corpus_bleu(hyps, per_item).score == sacrebleu.corpus_bleu(hyps, [first, second]).score / 100
    assert corpus_chrf(hyps, per_item) == sacrebleu.corpus_chrf(hyps, [first, second]).score / 100
    for hyp, refs in list(zip(hyps, per_item, strict=True))[:100]:
        refs = [r for r in refs if r is not None]
        assert sentence_bleu(hyp, refs).score == sacrebleu.sentence_bleu(hyp, refs).score / 100
        assert sentence_chrf(hyp, refs) == sacrebleu.sentence_chrf(hyp, refs).score / 100
    bleu = get_metric("bleu")
    assert bleu.corpus_score(hyps, per_item).value == corpus_bleu(hyps, per_item).score


def test_chrf_fast_path_equals_counter_path_on_large_alphabets() -> None:
    rng = random.Random(2)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]  # too many characters for 6 digits in 63 bits
    for _ in range(40):
        hyp = "".join(rng.choice(alphabet[: rng.choice([50, 3000])]) for _ in range(rng.randint(0, 60)))
        ref = "".join(rng.choice(alphabet[:60]) for _ in range(rng.randint(0, 60)))
        assert _match_stats(hyp, ref) == _counter_stats(hyp, ref)
        assert sentence_chrf(hyp, ref) == sacrebleu.sentence_chrf(hyp, [ref]).score / 100


def test_bleu_lowercase_option() -> None:
    assert sentence_bleu("The Cat sat", "the cat sat", lowercase=True).score == pytest.approx(
        sacrebleu.sentence_bleu("The Cat sat", ["the cat sat"], lowercase=True).score / 100, abs=0)


@pytest.mark.parametrize("name", ["bleu", "chrf"])
def test_corpus_interval_is_a_bootstrap_of_the_corpus_score(name: str) -> None:
    """The interval from per-segment statistics equals rescoring each resample with sacrebleu itself."""
    import numpy as np

    from genloop.evals.stats import bootstrap_corpus_ci

    hyps, refs = [h for h, _ in PAIRS[:80]], [r for _, r in PAIRS[:80]]
    metric = get_metric(name)
    statistics, score = metric.corpus_statistics(hyps, refs)
    interval = bootstrap_corpus_ci(statistics, score, n_resamples=200, seed=7)
    reference_score = sacrebleu.corpus_bleu if name == "bleu" else sacrebleu.corpus_chrf
    assert interval.estimate == reference_score(hyps, [refs]).score / 100 == metric.corpus_score(hyps, refs).value
    draws = np.random.default_rng(7).integers(0, len(hyps), size=(200, len(hyps)))  # the same resamples
    by_hand = [reference_score([hyps[i] for i in row], [[refs[i] for i in row]]).score / 100 for row in draws]
    low, high = np.quantile(by_hand, [0.025, 0.975])
    assert (interval.low, interval.high) == pytest.approx((low, high), abs=1e-12)
    assert interval.low < interval.estimate < interval.high and interval.method == "bootstrap-corpus"
