"""`genloop tune run|tiny`, `genloop distill`, `genloop models merge|quantize` through the real entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.tuning.conftest import FAST, PEFT_CHECKPOINTING

pytestmark = [pytest.mark.filterwarnings(PEFT_CHECKPOINTING)]


@pytest.fixture
def tcli(cli: Any) -> Any:
    """The real entry point (``genloop.cli.main``), where these commands are mounted."""
    return cli


@pytest.mark.slow
def test_tune_cli_end_to_end(tcli: Any, tiny_dir: Path, tmp_path: Path) -> None:
    from genloop.client import Client
    from genloop.tuning import register_tiny_model, synthetic_tasks

    with Client() as client:
        register_tiny_model(client.models, "tiny", path=tiny_dir)
        client.datasets.create("qa", synthetic_tasks(16, kind="chat"), kind="chat")
        client.datasets.create("golden", synthetic_tasks(4, seed=3, kind="eval"), kind="eval")
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump({"base": "tiny", "train": "qa", **FAST, "output": "qa-model",
                                    "eval": {"dataset": "golden", "params": {"max_tokens": 4}}}))

    done = tcli("tune", "run", path, "--set", "lora.r=4", "--no-progress")
    assert done.code == 0, done.err
    assert "registered qa-model@1 (adapter on tiny@1)" in done.out and "tuned vs base on 4 items" in done.out
    shown = tcli("tune", "run", path, "--set", "lora.r=4", "--set", "output=other", "--json")
    assert shown.code == 0, shown.err
    body = shown.json()
    assert (body["model"]["name"], body["model"]["version"]) == ("other", 1)
    assert body["run"]["params"]["lora"]["r"] == 4 and body["evaluation"]["comparison"]["shared"] == 4

    merged = tcli("models", "merge", "qa-model@1")
    assert merged.code == 0 and "registered qa-model-merged@1 (merged of qa-model@1)" in merged.out
    quant = tcli("models", "quantize", "qa-model-merged", "--dataset", "golden", "--json")
    assert quant.code == 0, quant.err
    assert quant.json()["model"]["kind"] == "quantized" and quant.json()["comparison"]["size_ratio"] < 1
    bad = tcli("models", "quantize", "tiny", "--method", "bnb-4bit")
    assert bad.code == 1 and bad.err.startswith("error: bnb-4bit quantization needs")

    distilled = tcli("distill", "--teacher", "mock:echo", "--prompts", "golden", "--out", "echoes", "--no-progress")
    assert distilled.code == 0 and "wrote echoes@1 (4 answers, 0 skipped)" in distilled.out
    missing = tcli("tune", "run", tmp_path / "nope.yaml")
    assert missing.code == 1 and "does not exist" in missing.err
    wrong = tcli("tune", "run", path, "--set", "train=golden")
    assert wrong.code == 1 and "golden@1 is a eval dataset" in wrong.err


@pytest.mark.slow
def test_tune_tiny_builds_and_registers_a_base_model(tcli: Any) -> None:
    done = tcli("tune", "tiny", "mini", "--steps", "2", "--json")
    assert done.code == 0, done.err
    body = done.json()
    assert (body["name"], body["kind"]) == ("mini", "checkpoint")
    assert body["metadata"]["recipe"]["size"]["steps"] == 2
