"""Prompt optimization, offline: the candidate model is the mock echo model (it answers the rendered user turn),
the optimizer model a scripted mock that proposes given rewrites. A rewrite that really changes the answers is
found and wins significantly on the held-out split; an equivalent rewrite is reported as not significant."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from genloop import Client
from genloop.errors import InvalidInput, NotFound
from genloop.optimize import OptimizeSpec, PromptOptimizer, pareto_front
from genloop.optimize._strategies import Candidate
from genloop.providers.mock_upstream import MockUpstreamConfig, MockUpstreamServer

WORDS = ["paris", "lima", "oslo", "rome", "cairo", "delhi", "quito", "tokyo", "seoul", "hanoi", "bern", "doha",
         "kyiv", "riga", "baku", "male", "apia", "suva", "lome", "dili", "nuuk", "vaduz", "minsk", "sofia", "accra",
         "dakar", "lusaka", "harare", "maputo", "luanda", "abuja", "niamey", "bamako", "tunis", "rabat", "algiers",
         "muscat", "sanaa", "amman", "beirut"]


def _proposal(content: str, change: str) -> str:
    return "Here is my proposal.\n" + json.dumps({"change": change, "messages": [{"role": "user", "content": content}]})


@pytest.fixture
def task(store: Any) -> Client:
    """40 rows asking for the city in capitals; the original prompt passes the input through (echo gets none)."""
    client = Client(store=store)
    client.datasets.create("cities", [{"input": w, "reference": w.upper()} for w in WORDS], kind="eval")
    client.prompts.create("shout", messages=[{"role": "user", "content": "{{ input }}"}])
    return client


def _spec(replies: list[str], **extra: Any) -> dict[str, Any]:
    return {"prompt": "shout@1", "dataset": "cities@1", "model": "mock:echo", "metric": "exact_match",
            "eval": {"metrics": ["exact_match"]}, "strategy": "meta", "optimizer_model": "optimizer",
            "rounds": 1, "candidates_per_round": len(replies), "holdout": 0.3, "seed": 3, **extra}


@pytest.fixture
def scripted() -> Iterator[Callable[[Client, list[str]], None]]:
    """``scripted(client, replies)``: the optimizer model is a mock OpenAI upstream answering ``replies`` in turn."""
    with contextlib.ExitStack() as stack:

        def register(client: Client, replies: list[str]) -> None:
            config = MockUpstreamConfig(script=[{"reply": r} for r in replies] or [{"reply": "{}"}])
            server = stack.enter_context(MockUpstreamServer(config))
            client.models.register("optimizer", kind="provider", uri="openai:mock-model",
                                   config={"base_url": server.url + "/v1"})

        yield register


def test_a_better_rewrite_is_found_and_its_held_out_gain_is_significant(task: Client, scripted: Any) -> None:
    replies = [_proposal("{{ input | lower }} please", "politeness"),  # no better: echo keeps the lower case
               _proposal("{{ input | upper }}", "answer in capitals")]  # echo answers the capitals: all right
    scripted(task, replies)
    events: list[tuple[str, dict[str, Any]]] = []
    result = PromptOptimizer(task, progress=lambda e, d: events.append((e, d))).run(_spec(replies))
    assert result.status == "succeeded" and result.original.score == 0.0
    assert [c.score for c in result.candidates] == [0.0, 1.0]
    assert result.best is not None and result.best.ref == "shout@3" and "answer in capitals" in result.best.how
    held = result.held_out
    assert held is not None and held.n == 12 and held.significant and held.delta == pytest.approx(1.0)
    assert held.verdict.startswith("shout@3 is significantly better than shout@1 on the 12 held-out items")
    # every candidate is a prompt version whose commit message says how it was made; nothing was labelled
    version = task.prompts.get("shout@3")
    assert "answer in capitals" in version.message and version.labels == []
    run = task.runs.get(result.run_id)
    assert run.kind == "optimize" and run.status == "succeeded"
    assert {"prompt:shout@2", "prompt:shout@3"} <= set(run.outputs)
    assert any(i.startswith("dataset:cities-holdout@") for i in run.inputs)
    assert [e for e, _ in events].count("candidate") == 2
    assert result.calls >= 2 + 28 * 3  # two optimizer calls, the original and two candidates on 28 items


def test_an_equivalent_rewrite_is_reported_not_significant(task: Client, scripted: Any) -> None:
    replies = [_proposal("{{ input }}{{ '' }}", "a no-op")]  # renders the same text: the same answers
    scripted(task, replies)
    result = PromptOptimizer(task).run(_spec(replies))
    assert result.best is not None and result.best.score == result.original.score
    held = result.held_out
    assert held is not None and held.significant is False and held.delta == 0.0
    assert held.verdict.startswith("not significant")


def test_unreadable_proposals_and_dropped_variables_are_discarded(task: Client, scripted: Any) -> None:
    replies = ["I would rather not.", _proposal("Answer in capitals.", "forgot the variable")]
    scripted(task, replies)
    result = PromptOptimizer(task).run(_spec(replies))
    assert result.discarded == 2 and result.candidates == [] and result.best is None and result.held_out is None


def test_few_shot_candidates_need_no_optimizer_model(task: Client) -> None:
    spec = _spec([], strategy="fewshot", optimizer_model=None, candidates_per_round=2, demos=2)
    result = PromptOptimizer(task).run(spec)
    assert len(result.candidates) == 2 and all("few-shot: 2 demonstrations" in c.how for c in result.candidates)
    messages = task.prompts.get(result.candidates[0].ref).messages
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert "{% raw %}" in messages[1].content  # demonstrations are literal text


def test_a_stopped_optimization_resumes(task: Client, scripted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    replies = [_proposal("{{ input | upper }}", "capitals"), _proposal("{{ input | title }}", "title case")]
    scripted(task, replies)
    spec = _spec(replies, rounds=2, candidates_per_round=1)
    optimizer = PromptOptimizer(task)
    real = optimizer._held_out

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(optimizer, "_held_out", interrupted)
    with pytest.raises(KeyboardInterrupt):
        optimizer.run(spec)
    running = task.runs.list(kind="optimize", status="running").items
    assert len(running) == 1
    monkeypatch.setattr(optimizer, "_held_out", real)
    events: list[str] = []
    optimizer.progress = lambda e, d: events.append(e)
    result = optimizer.run(spec)
    assert result.run_id == running[0].id and events[0] == "resume"
    assert "candidate" not in events  # both rounds were done before the stop: nothing proposed again
    assert [c.score for c in result.candidates] == [1.0, 0.0] and result.held_out is not None


def test_bad_specs_fail_before_any_call(task: Client) -> None:
    with pytest.raises(InvalidInput, match="needs an optimizer_model"):
        PromptOptimizer(task).run({**_spec(["x"]), "optimizer_model": None})
    with pytest.raises(InvalidInput, match="eval needs metrics or judges"):
        OptimizeSpec.load({**_spec(["x"]), "eval": {}})
    with pytest.raises(NotFound):
        PromptOptimizer(task).run({**_spec(["x"]), "prompt": "missing@1"})
    with pytest.raises(NotFound):
        PromptOptimizer(task).run({**_spec(["x"]), "optimizer_model": "nobody"})
    assert task.runs.list(kind="optimize").total == 0


def test_pareto_front_keeps_candidates_best_on_some_example() -> None:
    a = Candidate("p@1", [], "a", per_example={"x": 1.0, "y": 0.0, "z": 0.0})
    b = Candidate("p@2", [], "b", per_example={"x": 0.0, "y": 1.0, "z": 0.0})
    c = Candidate("p@3", [], "c", per_example={"x": 0.0, "y": 0.0, "z": 0.0})  # dominated except on z (a tie)
    front = dict((cand.ref, w) for cand, w in pareto_front([a, b, c]))
    assert front == {"p@1": 2, "p@2": 2, "p@3": 1}
    random.Random(0)  # the front drives a seeded draw in the reflective strategy


def test_the_cli_runs_a_spec_file(cli: Any, tmp_path: Any, store: Any, scripted: Any) -> None:
    client = Client(store=store)
    client.datasets.create("cities", [{"input": w, "reference": w.upper()} for w in WORDS], kind="eval")
    client.prompts.create("shout", messages=[{"role": "user", "content": "{{ input }}"}])
    scripted(client, [_proposal("{{ input | upper }}", "capitals")])
    spec = tmp_path / "optimize.yaml"
    spec.write_text("prompt: shout@1\ndataset: cities@1\nmodel: mock:echo\nmetric: exact_match\n"
                    "eval: {metrics: [exact_match]}\nstrategy: meta\noptimizer_model: optimizer\nrounds: 1\n"
                    "candidates_per_round: 1\nseed: 3\n")
    result = cli("prompts", "optimize", str(spec))
    assert result.code == 0, result.err
    assert "shout@2 is significantly better than shout@1" in result.out and "nothing was labelled" in result.out
    as_json = cli("prompts", "optimize", str(spec), "--json", "--fresh").json()
    assert as_json["held_out"]["significant"] is True and as_json["best"]["ref"] == "shout@2"
    bad = cli("prompts", "optimize", str(tmp_path / "missing.yaml"))
    assert bad.code != 0 and "cannot read optimization spec" in bad.err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_same_optimization_runs_against_a_server(server: Any, scripted: Any) -> None:
    """Through REST (genloop.Client(url)), as evaluation and tuning do: the engine runs in the caller."""
    with Client(server.url) as client:
        client.datasets.create("cities", [{"input": w, "reference": w.upper()} for w in WORDS], kind="eval")
        client.prompts.create("shout", messages=[{"role": "user", "content": "{{ input }}"}])
        replies = [_proposal("{{ input | upper }}", "capitals")]
        scripted(client, replies)
        result = PromptOptimizer(client).run(_spec(replies))
        assert result.held_out is not None and result.held_out.significant
        assert client.runs.get(result.run_id).status == "succeeded"
