"""Distillation: a teacher's answers become a chat dataset version through a run of kind data."""

from __future__ import annotations

from typing import Any

import pytest
from tests.tuning.conftest import FAST, PEFT_CHECKPOINTING

from genloop.errors import InvalidInput
from genloop.tuning._distill import prompt_messages

pytestmark = [pytest.mark.filterwarnings(PEFT_CHECKPOINTING)]


def test_prompts_come_from_any_kind_of_row() -> None:
    chat = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                         {"role": "assistant", "content": "old answer"}]}
    assert prompt_messages(chat) == chat["messages"][:2]
    assert prompt_messages({"prompt": "Q?", "completion": "A."}) == [{"role": "user", "content": "Q?"}]
    assert prompt_messages({"input": "What?", "reference": "x"}) == [{"role": "user", "content": "What?"}]
    assert prompt_messages({"text": "T", "other": "O"}, column="text") == [{"role": "user", "content": "T"}]
    assert prompt_messages({"input": ""}) is None


def test_a_provider_teacher_writes_a_chat_dataset_with_lineage(tuning: Any) -> None:
    result = tuning.distill("mock:echo", "golden", "echoed", params={"max_tokens": 50})
    assert (result.generated, result.skipped) == (8, 0)
    assert result.dataset.kind == "chat" and result.dataset.ref == "echoed@1"
    assert result.dataset.source_run_id == result.run.id
    run = result.run
    assert run.kind == "data" and run.inputs == ["dataset:golden@1"] and run.outputs == ["dataset:echoed@1"]
    assert run.params["teacher"] == "mock:echo" and run.metrics["generated"] == 8
    first = tuning.datasets.head("echoed", 1)[0]["messages"]
    assert first[0]["role"] == "user" and first[1] == {"role": "assistant", "content": first[0]["content"]}


def test_a_teacher_that_answers_nothing_writes_nothing(tuning: Any) -> None:
    with pytest.raises(InvalidInput, match="answered none of 8 prompts"):
        tuning.distill("mock:fail-500", "golden", "nothing")
    assert tuning.runs.list(kind="data").items[0].status == "failed"
    assert "nothing" not in [d.name for d in tuning.datasets.list().items]
    with pytest.raises(InvalidInput, match="--tune needs a student"):
        tuning.distill("mock:echo", "golden", "x", tune=True)


@pytest.mark.slow
def test_a_registry_teacher_then_tuning_the_student(tuning: Any) -> None:
    result = tuning.distill("tiny", "golden", "from-tiny", params={"max_tokens": 8}, student="tiny",
                            tune=True, tune_options={**FAST, "output": "student"})
    assert result.run.inputs == ["dataset:golden@1", "model:tiny@1"]
    assert result.generated + result.skipped == 8 and result.generated >= 1  # empty answers are skipped
    assert result.tune is not None and result.tune.model.ref == "student@1"
    assert result.tune.run.inputs == ["model:tiny@1", "dataset:from-tiny@1"]
    lineage = tuning.runs.lineage("model:student@1", depth=4)
    data_node = next(n for n in lineage.inputs if n.ref == "dataset:from-tiny@1")
    assert data_node.produced_by is not None and data_node.produced_by.kind == "data"
