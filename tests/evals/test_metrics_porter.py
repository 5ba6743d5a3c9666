"""The Porter stemmer gives exactly the stems rouge-score's tokenizer uses, on a large vocabulary."""

from __future__ import annotations

import random

import pytest

from genloop.evals.metrics import porter_stem

WORDS = """
caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized hopping tanned
falling hissing fizzed failing filing happy sky relational conditional rational valenci hesitanci digitizer
conformabli radicalli differentli vileli analogousli vietnamization predication operator feudalism decisiveness
hopefulness callousness formaliti sensitiviti sensibiliti triplicate formative formalize electriciti electrical
hopeful goodness revival allowance inference airliner gyroscopic adjustable defensible irritant replacement
adjustment dependent adoption homologou communism activate angulariti homologous effective bowdlerize probate rate
cease controll roll generalizations oscillators consign consigned consigning consignment consist consisted
consistency consistent consistently consisting consists consolation consolations consolatory console consoled
consoles consolidate consolidated consolidating consoling consolingly consols consonant consort consorted
consorting conspicuous conspicuously conspiracy conspirator conspirators conspire conspired conspiring constable
constables constance constancy constant knack knackeries knacks knag knave knaves knavish kneaded kneading knee
kneel kneeled kneeling kneels knees knell knelt knew knick knif knife knight knightly knights knit knits knitted
knitting knives knob knobs knock knocked knocker knockers knocking knocks knopp knot knots skies dying lying tying
news innings outings cannings howe proceed exceed succeed dies died spied flies cried enjoy enjoyment spy fly try
geology theology archaeology philology analogy fully hopefully carefully argued arguing ageing aging eyeing
syzygy toy toys yelling yellow played playing says saying lied tied skying feeding feeder needing needed
succeeded exceeded generously generalization organizational emotionally fulfilling agreement measurement
developments nationalization internationally relationships possibilities responsibility responsibly beautifully
analyses analyzing analyst evaluations summarization summarize hypotheses references translations benchmark
abatement abaissiez abandonment abbess absorbability accomplishments acquiescence actualities adaptability
""".split()

SUFFIXES = [
    "ational", "tional", "enci", "anci", "izer", "bli", "abli", "alli", "entli", "eli", "ousli", "ization",
    "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti", "biliti", "fulli", "logi",
    "icate", "ative", "alize", "iciti", "ical", "ful", "ness", "al", "ance", "ence", "er", "ic", "able", "ible",
    "ant", "ement", "ment", "ent", "sion", "tion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", "e", "ll",
    "sses", "ies", "ss", "s", "ied", "eed", "ed", "ing", "y", "at", "bl", "iz", "ly", "ys", "yed",
]


def vocabulary(size: int, seed: int = 7) -> list[str]:
    """The word list, its inflections, and generated stems (y-heavy, doubled letters, digits) with one or
    two suffixes: every rule and condition of the algorithm gets exercised."""
    rng = random.Random(seed)
    letters = "aeiouyyybcdfghklmnprstvwxz"
    words = set(WORDS)
    words.update(w + s for w in WORDS[:200] for s in ("s", "ed", "ing", "ly", "ness", "ation"))
    while len(words) < size:
        stem = "".join(rng.choice(letters) for _ in range(rng.randint(1, 7)))
        if rng.random() < 0.2:
            stem += stem[-1]
        if rng.random() < 0.05:
            stem += str(rng.randint(0, 99))
        word = stem + rng.choice(SUFFIXES) + (rng.choice(SUFFIXES) if rng.random() < 0.4 else "")
        if len(word) > 3:
            words.add(word)
    return sorted(words)


@pytest.fixture(scope="module")
def reference_stemmer():  # type: ignore[no-untyped-def]
    tokenizers = pytest.importorskip("rouge_score.tokenizers")
    return tokenizers.DefaultTokenizer(use_stemmer=True)._stemmer


def test_same_stems_as_rouge_score_on_a_large_vocabulary(reference_stemmer) -> None:  # type: ignore[no-untyped-def]
    words = vocabulary(15_000)
    different = [(w, porter_stem(w), reference_stemmer.stem(w)) for w in words
                 if porter_stem(w) != reference_stemmer.stem(w)]
    assert not different, different[:20]


@pytest.mark.parametrize(("word", "stem"), [
    ("caresses", "caress"), ("ponies", "poni"), ("ties", "tie"), ("feed", "feed"), ("agreed", "agre"),
    ("plastered", "plaster"), ("motoring", "motor"), ("conflated", "conflat"), ("hopping", "hop"),
    ("filing", "file"), ("happy", "happi"), ("relational", "relat"), ("generalizations", "gener"),
    ("oscillators", "oscil"), ("skies", "sky"), ("dying", "die"), ("enjoy", "enjoy"), ("geology", "geolog"),
    ("controll", "control"), ("roll", "roll"), ("news", "news"), ("succeed", "succeed"),
])
def test_textbook_stems(word: str, stem: str) -> None:
    assert porter_stem(word) == stem
