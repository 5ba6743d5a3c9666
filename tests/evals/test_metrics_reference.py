"""Property tests: every text metric gives its reference library's value on any str that library accepts.

Arbitrary Unicode (lone surrogates included, which a Python str may hold) against sacrebleu (BLEU, chrF)
and rouge-score (ROUGE with and without the stemmer), in any order of scoring in one process.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genloop.evals.metrics import ROUGE_TYPES, get_metric, rouge_scores, sentence_bleu, sentence_chrf
from genloop.evals.metrics import _rouge as rouge_module

sacrebleu = pytest.importorskip("sacrebleu")
rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")

# Words whose stems collide with other words ('experiment' is the stem of 'experimental', 'character' of
# 'characterized'), so a shared vocabulary that mixes tokens and stems would show.
WORDS = """the experimental experiment experi setup characterized character charact running run runs ran
generous generously general generalization organ organization organizational connect connected connection
relational relate relation rate rating nation national nationally internationally condition conditional
happy happily happi sky skies dying die news agree agreed agreement abl able ability""".split()

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

any_char = st.one_of(
    st.characters(),  # every code point but surrogates
    st.characters(categories=["Cs"]),  # lone surrogates
    st.sampled_from(list(" \n\t\r\u00a0.,-'\u2028")),  # separators and the 13a tokenizer's special cases
)
piece = st.one_of(st.sampled_from(WORDS), st.text(any_char, max_size=6))
text = st.lists(piece, max_size=14).map(" ".join)
texts_with_words = st.tuples(text, text)


def _rouge_equal(hypothesis: str, reference: str, stemmer: bool) -> None:
    types = [*ROUGE_TYPES, "rouge3"]
    expected = rouge_scorer.RougeScorer(types, use_stemmer=stemmer).score(reference, hypothesis)
    got = rouge_scores(hypothesis, reference, types, stemmer=stemmer)
    for rouge_type in types:
        assert tuple(got[rouge_type]) == tuple(expected[rouge_type]), (rouge_type, hypothesis, reference)


@pytest.mark.parametrize(("hypothesis", "reference"), [
    ("the experimental setup", "the experiment setup"),
    ("the experiment setup", "the experimental setup"),
    ("characterized", "character"),
    ("character", "characterized"),
])
def test_rouge_with_stemmer_on_words_that_spell_another_words_stem(hypothesis: str, reference: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rouge_module._VOCABULARIES, True, rouge_module._Vocabulary(True))  # a fresh process
    _rouge_equal(hypothesis, reference, stemmer=True)


def test_rouge_does_not_depend_on_what_was_scored_before(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    pairs = [(" ".join(rng.choices(WORDS, k=rng.randint(1, 8))), " ".join(rng.choices(WORDS, k=rng.randint(1, 8))))
             for _ in range(60)]
    for seed in range(4):
        monkeypatch.setitem(rouge_module._VOCABULARIES, True, rouge_module._Vocabulary(True))
        random.Random(seed).shuffle(pairs)
        for hypothesis, reference in pairs:
            _rouge_equal(hypothesis, reference, stemmer=True)


@_SETTINGS
@given(texts_with_words, st.booleans())
def test_rouge_equals_rouge_score_on_any_text(pair: tuple[str, str], stemmer: bool) -> None:
    _rouge_equal(*pair, stemmer=stemmer)


@_SETTINGS
@given(texts_with_words)
def test_bleu_and_chrf_equal_sacrebleu_on_any_text(pair: tuple[str, str]) -> None:
    hypothesis, reference = pair
    assert sentence_chrf(hypothesis, reference) == sacrebleu.sentence_chrf(hypothesis, [reference]).score / 100
    assert sentence_bleu(hypothesis, reference).score == sacrebleu.sentence_bleu(hypothesis, [reference]).score / 100


def test_chrf_scores_a_lone_surrogate_like_sacrebleu() -> None:
    hypothesis, reference = "ab\ud800cd x", "ab\ud800c y"
    assert sentence_chrf(hypothesis, reference) == sacrebleu.sentence_chrf(hypothesis, [reference]).score / 100 > 0


@_SETTINGS
@given(texts_with_words)
def test_every_text_metric_accepts_any_str(pair: tuple[str, str]) -> None:
    """No built-in metric raises on a str (surrogates included); each value is a finite float."""
    hypothesis, reference = pair
    for name in ("exact_match", "token_f1", "contains", "length", "json_valid", "bleu", "chrf", "rouge",
                 "rouge_1", "rouge_2", "rouge_l", "rouge_lsum"):
        score = get_metric(name).score(hypothesis, reference)
        assert score.value == score.value, name
    assert get_metric({"name": "exact_match", "normalize": ["unicode", "lower", "punct", "articles",
                                                            "whitespace", "strip"]}).score(hypothesis, reference)
