"""``client.tuning`` in-process and against a server (engine here, runs and versions over REST): same result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.tuning.conftest import FAST, PEFT_CHECKPOINTING

from genloop.client._tuning import RemoteTuning
from genloop.errors import NotFound
from genloop.tuning import TuningService, register_tiny_model, synthetic_tasks

pytestmark = [pytest.mark.filterwarnings(PEFT_CHECKPOINTING)]


@pytest.mark.slow
def test_tuning_through_the_client_is_the_same_locally_and_remotely(client: Any, tiny_dir: Path) -> None:
    tuning = client.tuning
    assert isinstance(tuning, RemoteTuning if client.is_remote else TuningService)
    register_tiny_model(client.models, "tiny", path=tiny_dir)
    client.datasets.create("qa", synthetic_tasks(16, kind="chat"), kind="chat")
    client.datasets.create("golden", synthetic_tasks(4, seed=5, kind="eval"), kind="eval")
    result = tuning.run({"base": "tiny", "train": "qa", **FAST, "output": "qa-model",
                         "eval": {"dataset": "golden", "params": {"max_tokens": 4}}})
    assert (result.model.ref, result.model.kind, result.model.base) == ("qa-model@1", "adapter", "tiny@1")
    run = client.runs.get(result.run.id)
    assert run.status == "succeeded" and run.outputs == ["model:qa-model@1"] and "loss" in run.series_keys
    assert client.models.get("qa-model").metadata["evaluation"]["shared_items"] == 4
    assert result.evaluation is not None and result.evaluation.comparison is not None
    with pytest.raises(NotFound, match="training dataset 'nope'"):
        tuning.run({"base": "tiny", "train": "nope"})
