"""The tune step on the tiny base model (a few LoRA steps on CPU): split -> tune -> promote, with lineage,
and the second run skips the tuning as unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop.models import ModelService
from genloop.pipelines import Pipeline, PipelineService
from genloop.runs import RunService
from genloop.store import Store

PEFT_CHECKPOINTING = "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the tuning step is what is tested here; pipeline runs on PostgreSQL are in test_run.py."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("trl")
    import torch

    from genloop.tuning import build_tiny_model

    torch.set_num_threads(1)
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", size="test", seed=0)


@pytest.mark.slow
@pytest.mark.filterwarnings(PEFT_CHECKPOINTING)
def test_split_tune_promote(store: Store, tiny_dir: Path) -> None:
    from genloop.datasets import DatasetService
    from genloop.providers._local import MODELS
    from genloop.tuning import register_tiny_model, synthetic_tasks

    register_tiny_model(ModelService(store), "tiny", path=tiny_dir)
    DatasetService(store).create("qa", synthetic_tasks(24, kind="chat"), kind="chat")
    p = Pipeline()
    split = p.step("split", "split", dataset="qa", test_size=4)
    tune = p.step("tune", "tune", spec={"base": "tiny", "train": split["train"], "method": "lora", "max_steps": 2,
                                        "batch_size": 8, "max_length": 96, "output": "qa-lora"})
    p.step("promote", "promote", target=tune["model"], alias="candidate")
    service = PipelineService(store)
    service.create("ct", p.spec())
    try:
        run = service.start("ct")
        assert run.status == "succeeded", run.error
        model = run.step("tune").outputs["model"]
        assert model == "qa-lora@1" and "candidate" in ModelService(store).get("qa-lora@candidate").aliases
        step_run = RunService(store).get(run.step("tune").run_id)  # type: ignore[arg-type]
        assert "model:qa-lora@1" in step_run.outputs
        again = service.start("ct")
        assert [s.status for s in again.steps] == ["cached", "cached", "succeeded"]  # promote always runs
    finally:
        MODELS.clear()
