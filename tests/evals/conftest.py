"""Fixtures of the evals tests: a small golden dataset, scripted judges, and the evals namespace of a client."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from genloop.providers._mock import MockProvider
from genloop.pytest_plugin import genloop_eval  # noqa: F401 - the plugin's fixture, tested here

ROWS = [
    {"id": f"q{i}", "question": f"What is {i} plus {i}?", "reference": str(2 * i),
     "base": str(2 * i) if i % 3 else "no idea", "new": f"{2 * i} (good)" if i % 4 else f"= {2 * i}"}
    for i in range(12)
]


def evals_of(client: Any) -> Any:
    """The evals namespace of a client (the in-process service or its REST twin)."""
    return client.evals


def judge_reply(request: Any) -> str:
    """A deterministic judge: pointwise 5 when the answer is right, 2 otherwise; pairwise prefers 'good'."""
    text = request.messages[-1]["content"]
    if "[Response A]" in text:
        a = text.split("[Response A]")[1].split("[Response B]")[0]
        b = text.split("[Response B]")[1].split("Reason first")[0]
        if ("good" in a) == ("good" in b):
            return json.dumps({"reasoning": "same", "winner": "tie"})
        return json.dumps({"reasoning": "the good one", "winner": "A" if "good" in a else "B"})
    reference = re.search(r"\[Reference answer\]\n(.*?)\n", text)
    output = text.split("[Response]")[1].split("First reason")[0].strip()
    right = reference is not None and reference.group(1).strip() in output
    return f"The response {'matches' if right else 'misses'} the reference.\nScore: {5 if right else 2}"


@pytest.fixture
def judge() -> MockProvider:
    return MockProvider(name="judge", reply=judge_reply)


@pytest.fixture
def local(store: Any) -> Any:
    """An in-process client on the test store (for behaviour that remote parity tests already cover)."""
    from genloop.client import Client

    with Client(store=store) as c:
        yield c


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> str:
    """The 12-row dataset, created through whichever client the test uses (``client`` or ``local``)."""
    which = "client" if "client" in request.fixturenames else "local"
    version = request.getfixturevalue(which).datasets.create("golden", ROWS, kind="generic")
    return f"golden@{version.version}"


def spec_for(dataset: str, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "qa", "dataset": dataset, "id_column": "id", "input_column": "question",
        "candidates": [{"name": "base", "output_column": "base"}, {"name": "new", "output_column": "new"}],
        "judges": [{"name": "correct", "model": "judge:j1", "use_reference": True, "pass_threshold": 4},
                   {"name": "pairwise", "type": "pairwise", "model": "judge:j2"}],
        "concurrency": 8,
    }
    spec.update(extra)
    return spec
