"""Candidates that are a Python callable: 'module:function' in a spec, or the function itself in the SDK; what it
returns beside its answer (retrieved contexts, tool calls) reaches the metrics, the judges and the item."""

from __future__ import annotations

import json
from typing import Any

import pytest

from genloop.errors import InvalidInput
from genloop.evals import EvalSpec
from genloop.providers import MockProvider

ROWS = [{"id": "fr", "question": "Capital of France?", "reference": "Paris", "relevant_ids": ["d1"]},
        {"id": "de", "question": "Capital of Germany?", "reference": "Berlin", "relevant_ids": ["d9"]}]
PASSAGES = {"d1": "Paris is the capital of France.", "d2": "Berlin is the capital of Germany."}


def rag_app(row: dict[str, Any]) -> dict[str, Any]:
    """A tiny RAG app: retrieves by a keyword, answers from the passage (wrong retrieval for Germany)."""
    ids = ["d1"] if "France" in row["question"] else ["d2"]
    return {"output": "Paris" if "France" in row["question"] else "Berlin", "retrieved_ids": ids,
            "contexts": [PASSAGES[i] for i in ids]}


async def async_app(row: dict[str, Any]) -> str:
    return row["question"].split()[-1].rstrip("?")


def broken_app(row: dict[str, Any]) -> str:
    raise RuntimeError("index offline")


def _spec(candidate: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "app", "dataset": "rag@1", "id_column": "id", "input_column": "question",
            "candidates": [candidate], "metrics": ["exact_match", {"name": "hit_rate", "k": 1}], "concurrency": 2,
            **extra}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_callable_by_path_and_by_object(local: Any) -> None:
    local.datasets.create("rag", ROWS, kind="eval")
    claims = {"France": [{"claim": "Paris", "supported": True}], "Germany": [{"claim": "Berlin", "supported": False}]}

    def judge(request: Any) -> str:
        text = request.messages[-1]["content"]
        return json.dumps({"claims": claims["France" if "capital of France" in text else "Germany"]})

    spec = _spec({"name": "app", "callable": f"{__name__}:rag_app"},
                 judges=[{"name": "faithfulness", "type": "faithfulness", "model": "judge:j"}])
    result = local.evals.run(spec, providers={"judge": MockProvider(name="judge", reply=judge)})
    assert result.status == "succeeded", result.error
    items = sorted(local.evals.items(result.run_id, 0, 10).items, key=lambda i: i.example_index)
    assert [i.output for i in items] == ["Paris", "Berlin"]
    assert [i.scores["exact_match"] for i in items] == [1.0, 1.0]
    assert [i.scores["hit_rate"] for i in items] == [1.0, 0.0]  # the app's retrieved_ids reached the metric
    assert [i.scores["faithfulness"] for i in items] == [1.0, 0.0]  # its contexts reached the judge
    assert items[0].inputs["contexts"] == [PASSAGES["d1"]] and items[0].latency_s is not None

    by_object = local.evals.run(_spec({"name": "fn", "callable": async_app}))
    assert by_object.status == "succeeded", by_object.error
    assert [i.output for i in local.evals.items(by_object.run_id, 0, 10).items] == ["France", "Germany"]
    assert EvalSpec.load(_spec({"callable": async_app})).candidates[0].callable == f"{__name__}:async_app"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_callable_errors(local: Any) -> None:
    local.datasets.create("rag", ROWS, kind="eval")
    failed = local.evals.run(_spec({"name": "broken", "callable": f"{__name__}:broken_app"}))
    items = local.evals.items(failed.run_id, 0, 10).items
    assert all(i.status == "error" and "RuntimeError: index offline" in (i.error or "") for i in items)
    with pytest.raises(InvalidInput, match="cannot import module 'no_such_module_x'"):
        local.evals.run(_spec({"name": "x", "callable": "no_such_module_x:f"}))
    with pytest.raises(InvalidInput, match="has no 'nope'"):
        local.evals.run(_spec({"name": "x", "callable": f"{__name__}:nope"}))
    with pytest.raises(InvalidInput, match="exactly one of"):
        EvalSpec.load(_spec({"name": "x", "callable": "json:dumps", "model": "mock:echo"}))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_local_function_through_either_client(client: Any) -> None:
    """The engine runs where the client is, so a closure works in-process and against a server alike."""
    client.datasets.create("rag", ROWS, kind="eval")
    suffix = "!"

    def closure(row: dict[str, Any]) -> dict[str, Any]:
        return {"output": row["reference"] + suffix, "tool_calls": [{"name": "lookup", "arguments": {}}]}

    result = client.evals.run(_spec({"name": "fn", "callable": closure}, metrics=["exact_match"]))
    assert result.status == "succeeded", result.error
    items = client.evals.items(result.run_id, 0, 10).items
    assert {i.output for i in items} == {"Paris!", "Berlin!"} and all(i.inputs["tool_calls"] for i in items)
