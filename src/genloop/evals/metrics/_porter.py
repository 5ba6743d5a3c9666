"""The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980).

Written from the published algorithm plus the documented deviations of the variant that Google's
``rouge-score`` 0.1.2 stems with (NLTK's default ``NLTK_EXTENSIONS`` mode), so that ROUGE with
``stemmer=True`` gives the same numbers:

* a short table of irregular forms (``skies`` -> ``sky``, ``dying`` -> ``die``, ``news`` -> ``news`` ...);
* words of one or two letters are left alone;
* step 1a: ``ies`` -> ``ie`` when the word has four letters (``dies`` -> ``die``);
* step 1b: ``ied`` -> ``ie`` for four-letter words, else ``i`` (``died`` -> ``die``, ``spied`` -> ``spi``);
* the *o condition also holds for a two-letter stem vowel-consonant (``ow``);
* step 1c: ``y`` -> ``i`` only after a consonant that is not the first letter (``enjoy`` stays);
* step 2: ``bli`` -> ``ble`` instead of ``abli`` -> ``able``; ``alli`` -> ``al`` is tried first and the
  result goes through step 2 again; ``fulli`` -> ``ful``; ``logi`` -> ``log`` when ``m(stem + "l") > 0``.

A consonant is a letter other than a, e, i, o, u, and other than a y that follows a consonant;
``m`` (the measure) counts the vowel-to-consonant transitions of ``[C](VC)^m[V]``.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["porter_stem"]

_VOWELS = frozenset("aeiou")

_IRREGULAR = {
    "skies": "sky", "sky": "sky", "dying": "die", "lying": "lie", "tying": "tie", "news": "news",
    "innings": "inning", "inning": "inning", "outings": "outing", "outing": "outing",
    "cannings": "canning", "canning": "canning", "howe": "howe",
    "proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
}

# Steps 2-4 as (suffix, replacement) in the order they are tried; the first suffix the word ends with
# decides: if its condition fails the word is left as it is (no shorter suffix is tried).
_STEP2 = (
    ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
    ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
    ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
    ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
    ("fulli", "ful"), ("logi", "log"),
)
_STEP3 = (
    ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
)
_STEP4 = (
    "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism",
    "ate", "iti", "ous", "ive", "ize",
)


def _consonants(word: str) -> list[bool]:
    """For each letter, whether it is a consonant (a y is one when the letter before it is not)."""
    flags: list[bool] = []
    previous = False  # a leading y counts as a consonant: "not previous" must be True
    for ch in word:
        if ch in _VOWELS:
            flag = False
        elif ch == "y":
            flag = not previous if flags else True
        else:
            flag = True
        flags.append(flag)
        previous = flag
    return flags


def _measure(stem: str) -> int:
    """m in [C](VC)^m[V]: the number of vowel -> consonant transitions."""
    m = 0
    after_vowel = False
    for is_consonant in _consonants(stem):
        if is_consonant:
            if after_vowel:
                m += 1
            after_vowel = False
        else:
            after_vowel = True
    return m


def _has_vowel(stem: str) -> bool:
    return not all(_consonants(stem))


def _ends_double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _consonants(word)[-1]


def _ends_cvc(word: str) -> bool:
    """*o: the stem ends consonant-vowel-consonant, the last not w, x or y (or is a two-letter vowel-consonant)."""
    c = _consonants(word)
    if len(word) >= 3:
        return c[-3] and not c[-2] and c[-1] and word[-1] not in "wxy"
    return len(word) == 2 and not c[0] and c[1]


def _step1a(word: str) -> str:
    if word.endswith("ies") and len(word) == 4:
        return word[:-1]
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-2]
    if word.endswith("ss"):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


def _step1b(word: str) -> str:
    if word.endswith("ied"):
        return word[:-1] if len(word) == 4 else word[:-2]
    if word.endswith("eed"):
        return word[:-1] if _measure(word[:-3]) > 0 else word
    if word.endswith("ed") and _has_vowel(word[:-2]):
        stem = word[:-2]
    elif word.endswith("ing") and _has_vowel(word[:-3]):
        stem = word[:-3]
    else:
        return word
    if stem.endswith(("at", "bl", "iz")):
        return stem + "e"
    if _ends_double_consonant(stem):
        return stem if stem[-1] in "lsz" else stem[:-1]
    if _measure(stem) == 1 and _ends_cvc(stem):
        return stem + "e"
    return stem


def _step1c(word: str) -> str:
    if word.endswith("y") and len(word) > 2 and _consonants(word)[-2]:
        return word[:-1] + "i"
    return word


def _step2(word: str) -> str:
    if word.endswith("alli") and _measure(word[:-4]) > 0:
        return _step2(word[:-2])
    for suffix, replacement in _STEP2:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            # The 'l' of -logi stays with the stem for the measure, so 'geo-logi' stems like 'philo-logi'.
            tested = word[:-3] if suffix == "logi" else stem
            return stem + replacement if _measure(tested) > 0 else word
    return word


def _step3(word: str) -> str:
    for suffix, replacement in _STEP3:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            return stem + replacement if _measure(stem) > 0 else word
    return word


def _step4(word: str) -> str:
    for suffix in _STEP4:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            if _measure(stem) > 1 and (suffix != "ion" or stem[-1] in "st"):
                return stem
            return word
    return word


def _step5(word: str) -> str:
    if word.endswith("e"):
        stem = word[:-1]
        m = _measure(stem)
        if m > 1 or (m == 1 and not _ends_cvc(stem)):
            word = stem
    if word.endswith("ll") and _measure(word[:-1]) > 1:
        word = word[:-1]
    return word


@lru_cache(maxsize=1 << 16)
def porter_stem(word: str) -> str:
    """The Porter stem of ``word`` (lowercased first), memoised in an LRU cache of 65,536 words."""
    word = word.lower()
    irregular = _IRREGULAR.get(word)
    if irregular is not None:
        return irregular
    if len(word) <= 2:
        return word
    return _step5(_step4(_step3(_step2(_step1c(_step1b(_step1a(word)))))))
