"""Fixtures of the tuning tests: one tiny model built per session (seconds), registered in each test's store.

Training runs on one CPU thread: models this small are fastest that way, and the results do not depend on
how busy the machine is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genloop.store import Store

# TRL wraps models with PEFT, which reads `is_gradient_checkpointing`; transformers 5 marks that property
# deprecated (FutureWarning) and neither is ours to change. Only that exact notice is let through.
PEFT_CHECKPOINTING = "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"

FAST = {"max_steps": 4, "batch_size": 8, "logging_steps": 2, "learning_rate": 5e-3, "max_length": 96}


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test-size tiny model folder (tokenizer, chat template, weights), built once per session."""
    pytest.importorskip("trl")
    import torch

    from genloop.tuning import build_tiny_model

    torch.set_num_threads(1)
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", size="test", seed=0)


@pytest.fixture
def tuning(store: Store, tiny_dir: Path) -> Iterator[Any]:
    """A TuningService on the test store with ``tiny@1`` and datasets qa (chat), qa-completion, prefs
    (preference) and golden (eval)."""
    from genloop.tuning import TuningService, register_tiny_model, synthetic_tasks

    service = TuningService(store)
    register_tiny_model(service.models, "tiny", path=tiny_dir)
    service.datasets.create("qa", synthetic_tasks(24, kind="chat"), kind="chat")
    service.datasets.create("qa-completion", synthetic_tasks(24, kind="completion"), kind="completion")
    service.datasets.create("prefs", synthetic_tasks(16, kind="preference"), kind="preference")
    service.datasets.create("golden", synthetic_tasks(8, seed=7, kind="eval"), kind="eval")
    yield service
    from genloop.providers._local import MODELS

    MODELS.clear()


def spec(**fields: Any) -> dict[str, Any]:
    """A fast LoRA spec on tiny and qa, with ``fields`` on top."""
    return {"base": "tiny", "train": "qa", "method": "lora", **FAST, **fields}
