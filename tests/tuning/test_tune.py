"""Tuning end to end on a tiny model: the run, its series, the registered version, lineage, and the
evaluation against the base, for LoRA SFT, full SFT and preference tuning."""

from __future__ import annotations

from typing import Any

import pytest
from tests.tuning.conftest import PEFT_CHECKPOINTING, spec

pytestmark = [pytest.mark.filterwarnings(PEFT_CHECKPOINTING)]


@pytest.mark.slow
def test_lora_run_registers_an_adapter_with_lineage_series_and_evaluation(tuning: Any) -> None:
    result = tuning.run(spec(output="tiny-qa", eval_dataset="qa", eval={
        "dataset": "golden", "metrics": ["exact_match", "rouge_l"], "params": {"max_tokens": 12}}))
    run, model = result.run, result.model
    assert run.kind == "tune" and run.status == "succeeded"
    assert run.inputs == ["model:tiny@1", "dataset:qa@1"] and run.outputs == ["model:tiny-qa@1"]
    assert {"loss", "eval_loss", "learning_rate", "tokens_per_second"} <= set(run.series_keys)
    assert run.params["lora"] == {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "auto"}
    assert set(run.params["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                 "down_proj"}
    assert run.params["format"] == "messages" and run.params["assistant_only_loss"] is True
    assert result.metrics["steps"] == 4 and result.metrics["tokens_per_second"] > 0
    assert (model.kind, model.base, model.source_run_id) == ("adapter", "tiny@1", run.id)
    assert model.config["method"] == "lora" and model.metadata["train_dataset"] == "qa@1"
    evaluation = result.evaluation
    assert evaluation is not None and evaluation.base_run and evaluation.comparison is not None
    assert evaluation.comparison.shared == 8
    assert {m.metric for m in evaluation.comparison.metrics} >= {"exact_match", "rouge_l"}
    assert model.metadata["evaluation"]["comparison"]["rouge_l"]["base"] is not None
    assert run.summary["evaluation"]["tuned_run"] == evaluation.tuned_run
    lineage = tuning.runs.lineage("model:tiny-qa@1")
    assert lineage.produced_by is not None and lineage.produced_by.id == run.id
    assert {n.ref for n in lineage.inputs} == {"model:tiny@1", "dataset:qa@1"}
    assert lineage.parent is not None and lineage.parent.ref == "model:tiny@1"


@pytest.mark.slow
def test_the_registered_adapter_is_served_by_the_local_provider_through_the_registry(tuning: Any) -> None:
    tuning.run(spec(output="tiny-qa"))
    result = tuning.evals.run({"dataset": "golden", "candidates": [{"model": "tiny-qa@1", "params": {
        "max_tokens": 8}}], "metrics": ["exact_match"]})
    assert result.status == "succeeded", result.error
    items = tuning.evals.items(result.run_id).items
    assert len(items) == 8 and all(i.status == "ok" and i.output_tokens > 0 for i in items)
    assert "model:tiny-qa@1" in tuning.runs.get(result.run_id).inputs


@pytest.mark.slow
def test_full_sft_on_completion_rows_registers_a_checkpoint(tuning: Any) -> None:
    result = tuning.run(spec(method="sft", train="qa-completion", output="tiny-full"))
    assert (result.model.kind, result.model.base) == ("checkpoint", "tiny@1")
    assert result.run.params["format"] == "prompt-completion" and result.run.params["adapter"] is False
    assert result.run.params["target_modules"] == []
    from genloop.providers._local_load import load_model

    loaded = load_model(result.model.uri)
    assert loaded.has_chat_template and type(loaded.model).__name__ == "LlamaForCausalLM"


@pytest.mark.slow
@pytest.mark.parametrize("method", ["dpo", "kto"])
def test_preference_tuning_logs_reward_metrics(tuning: Any, method: str) -> None:
    result = tuning.run(spec(method=method, train="prefs", batch_size=4, output=f"tiny-{method}"))
    assert result.model.kind == "adapter" and result.run.params["format"] == "preference"
    assert "loss" in result.run.series_keys
    if method == "dpo":
        assert {"reward_accuracy", "reward_margin"} <= set(result.run.series_keys)


@pytest.mark.slow
def test_the_same_spec_trains_the_same_adapter(tuning: Any) -> None:
    first = tuning.run(spec(output="again"))
    second = tuning.run(spec(output="again"))
    assert second.model.ref == first.model.ref == "again@1"  # same seed, same bytes: the version is reused
    assert second.run.id != first.run.id
