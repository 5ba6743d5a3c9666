"""Reading judge answers: JSON, plain-text fallbacks, and garbage recorded as unparsed."""

from __future__ import annotations

import pytest

from genloop.evals import parse_pairwise, parse_score
from genloop.evals._verdicts import combine_scores, majority


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ('{"reasoning": "clear and right", "score": 4}', 4.0),
        ('Here you go:\n```json\n{"reasoning": "meh", "score": 2}\n```', 2.0),
        ("The answer misses a step.\nScore: 3", 3.0),
        ("Reasoning... Rating: 5/5", 5.0),
        ("My verdict: [[1]]", 1.0),
        ("**Score:** 4.5", 4.5),
    ],
)
def test_score_is_read_from_json_and_plain_text(text: str, score: float) -> None:
    verdict = parse_score(text, 1, 5)
    assert verdict.error is None
    assert verdict.value == score


def test_explanation_comes_from_the_reasoning_field() -> None:
    assert parse_score('{"reasoning": "because", "score": 5}', 1, 5).explanation == "because"


@pytest.mark.parametrize(("text", "problem"), [
    ("I like it a lot!", "no score"),
    ('{"score": "great"}', "not a number"),
    ("Score: 9", "outside the scale"),
    ("", "no score"),
])
def test_unreadable_scores_are_reported_not_raised(text: str, problem: str) -> None:
    verdict = parse_score(text, 1, 5)
    assert verdict.value is None
    assert problem in (verdict.error or "")
    assert verdict.to_json()["raw"] == text


@pytest.mark.parametrize(("text", "winner"), [
    ('{"reasoning": "A is precise", "winner": "A"}', "a"),
    ('{"winner": "b"}', "b"),
    ('{"winner": "tie"}', "tie"),
    ("After thinking: [[B]]", "b"),
    ("Winner: Response A", "a"),
    ("Both are equally good, it's a tie.", "tie"),
    ("Both are fine. Verdict: tie", "tie"),
    ("Tie.", "tie"),
])
def test_pairwise_winner(text: str, winner: str) -> None:
    assert parse_pairwise(text).value == winner


@pytest.mark.parametrize("text", ["lorem ipsum dolor", "Neither response ties the answer to the question.",
                                  "A tie would be unfair to both."])
def test_pairwise_garbage_is_unparsed(text: str) -> None:
    verdict = parse_pairwise(text)
    assert verdict.value is None and verdict.error


@pytest.mark.parametrize("kind", ["pointwise", "pairwise"])
def test_a_judge_that_echoes_its_instructions_is_unparsed(kind: str) -> None:
    """An echo of the prompt names every option (scores 1 to 5; "A" or "B" or "tie"): no verdict, not a tie."""
    from genloop.evals import BUILTIN_JUDGE_PROMPTS

    prompt = BUILTIN_JUDGE_PROMPTS[kind]["messages"][-1]["content"]
    verdict = parse_pairwise(prompt) if kind == "pairwise" else parse_score(prompt, 1, 5)
    assert verdict.value is None and verdict.error and verdict.to_json()["raw"] == prompt[:4000]


def test_sample_combination() -> None:
    assert combine_scores([3, 4, 5], "mean") == 4.0
    assert combine_scores([4, 4, 2], "majority") == 4.0
    assert combine_scores([], "mean") is None
    assert majority(["a", "a", "b"]) == "a"
    assert majority(["a", "b"]) == "tie"
