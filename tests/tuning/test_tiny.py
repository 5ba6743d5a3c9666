"""The tiny base model: a tokenizer with special tokens and a chat template, weights that learned something."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genloop.errors import InvalidInput
from genloop.tuning import TINY_SIZES, build_tiny_model, synthetic_corpus, synthetic_tasks


def test_the_folder_loads_with_transformers(tiny_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_dir))
    assert (tok.pad_token, tok.bos_token, tok.eos_token) == ("<pad>", "<s>", "</s>")
    text = tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True)
    assert text == "<|user|>\nHi\n<|assistant|>\n"  # only assistant turns end with </s>
    model = AutoModelForCausalLM.from_pretrained(str(tiny_dir))
    size = TINY_SIZES["test"]
    assert (model.config.hidden_size, model.config.num_hidden_layers) == (size.hidden, size.layers)
    recipe = json.loads((tiny_dir / "genloop_tiny.json").read_text())
    assert recipe["final_loss"] < 4.0  # pre-training moved it well below uniform (ln 320 = 5.8)


def test_synthetic_rows_of_every_kind_are_valid_dataset_rows(store: Any) -> None:
    from genloop.datasets import DatasetService

    service = DatasetService(store)
    for kind in ("chat", "completion", "eval", "preference"):
        rows = synthetic_tasks(12, kind=kind)
        assert service.create(f"s-{kind}", rows, kind=kind).num_rows == 12
    prefs = synthetic_tasks(50, kind="preference")
    assert all(r["chosen"] != r["rejected"] for r in prefs)
    assert synthetic_corpus(5, seed=1) == synthetic_corpus(5, seed=1)
    with pytest.raises(InvalidInput, match="unknown synthetic kind"):
        synthetic_tasks(1, kind="audio")


def test_unknown_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown tiny size 'huge'"):
        build_tiny_model(tmp_path, size="huge")
