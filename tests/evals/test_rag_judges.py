"""The RAG judges on a small hand-labelled set: a scripted judge returns the verdicts a careful reader would give
for each item, and the scores are the ones derived by hand from RAGAS's definitions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from genloop.providers import MockProvider

ROWS = [
    {"id": "france", "question": "What is the capital of France?",
     "contexts": ["Paris is the capital of France.", "France is in Europe."],
     "reference": "Paris is the capital of France.",
     "answer": "The capital of France is Paris, which has 2 million people."},
    {"id": "hamlet", "question": "Who wrote Hamlet?",
     "contexts": ["Hamlet is a play.", "Shakespeare wrote Hamlet around 1600."],
     "reference": "William Shakespeare wrote Hamlet.", "answer": "I don't know."},
    {"id": "everest", "question": "How tall is Everest?", "contexts": ["K2 is the second highest mountain."],
     "reference": "Mount Everest is 8,849 metres tall and lies in Nepal.", "answer": "Everest is 8,849 m tall."},
]

# what a careful reader finds, per judge and item
VERDICTS: dict[str, dict[str, Any]] = {
    "claims": {  # faithfulness: supported claims / claims -> 0.5, (no claim: not applicable), 0.0
        "france": [{"claim": "The capital of France is Paris", "supported": True},
                   {"claim": "Paris has 2 million people", "supported": False}],
        "hamlet": [],
        "everest": [{"claim": "Everest is 8,849 m tall", "supported": False}]},
    "statements": {  # context recall: attributable statements / statements -> 1.0, 1.0, 0.0
        "france": [{"statement": "Paris is the capital of France", "attributable": True}],
        "hamlet": [{"statement": "William Shakespeare wrote Hamlet", "attributable": True}],
        "everest": [{"statement": "Everest is 8,849 metres tall", "attributable": False},
                    {"statement": "Everest lies in Nepal", "attributable": False}]},
    "contexts": {  # context precision: average precision over the ranked verdicts -> 1.0, 0.5, 0.0
        "france": [{"index": 1, "useful": True}, {"index": 2, "useful": False}],
        "hamlet": [{"index": 1, "useful": False}, {"index": 2, "useful": True}],
        "everest": [{"index": 1, "useful": False}]},
    "questions": {  # answer relevance: mean cosine of generated questions with the one asked -> 0.5, 0.0, 1.0
        "france": [{"question": "What is the capital of France?", "answerable": True},
                   {"question": "Which river flows through Berlin?", "answerable": True}],
        "hamlet": [{"question": "Who wrote Hamlet?", "answerable": False}],
        "everest": [{"question": "How tall is Everest?", "answerable": True}]},
}
EXPECTED = {"faithfulness": [0.5, None, 0.0], "context_recall": [1.0, 1.0, 0.0],
            "context_precision": [1.0, 0.5, 0.0], "answer_relevance": [0.5, 0.0, 1.0]}


def scripted_judge(request: Any) -> str:
    text = request.messages[-1]["content"]
    key = next(k for k in ("claims", "statements", "contexts", "questions") if f'{{"{k}": [' in text)
    row = next(r for r in ROWS if r["question"] in text or r["answer"] in text)
    return "Checked each one.\n" + json.dumps({key: VERDICTS[key][row["id"]]})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rag_judges_give_the_hand_derived_scores(local: Any) -> None:
    local.datasets.create("rag", ROWS, kind="eval")
    spec = {"name": "rag", "dataset": "rag@1", "id_column": "id", "input_column": "question",
            "candidates": [{"name": "app", "output_column": "answer"}], "concurrency": 1,
            "judges": [{"name": name, "type": name, "model": "judge:rag"} for name in EXPECTED]}
    result = local.evals.run(spec, providers={"judge": MockProvider(name="judge", reply=scripted_judge)})
    assert result.status == "succeeded", result.error
    items = sorted(local.evals.items(result.run_id, 0, 10).items, key=lambda i: i.example_index)
    for name, expected in EXPECTED.items():
        got = [i.scores.get(name) for i in items]
        assert got == pytest.approx(expected, abs=1e-9), (name, got)
        defined = [v for v in expected if v is not None]
        assert result.metrics[name] == pytest.approx(sum(defined) / len(defined))
    france = items[0].judgments["faithfulness"]
    assert france["details"][1] == {"claim": "Paris has 2 million people", "supported": False}
    assert "1 of 2 claims; not: Paris has 2 million people" == france["explanation"]
    assert items[1].judgments["faithfulness"]["error"].startswith("not applicable")
    # the judges' prompts are versioned prompts of the project, like every judge prompt
    assert local.prompts.get("genloop-judge-faithfulness").version == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreadable_rag_verdict_is_recorded_not_guessed(local: Any) -> None:
    local.datasets.create("rag", ROWS[:1], kind="eval")
    spec = {"name": "rag", "dataset": "rag@1", "id_column": "id", "input_column": "question",
            "candidates": [{"name": "app", "output_column": "answer"}],
            "judges": [{"name": "faithfulness", "type": "faithfulness", "model": "judge:rag"}]}
    result = local.evals.run(spec, providers={"judge": MockProvider(name="judge", reply="All good, 5/5!")})
    item = local.evals.items(result.run_id, 0, 10).items[0]
    assert item.scores["faithfulness"] is None
    assert "no 'claims' list" in item.judgments["faithfulness"]["error"]
