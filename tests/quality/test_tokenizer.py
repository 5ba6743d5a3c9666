"""Token counts with a chosen model's tokenizer: a local folder or a registry model that points at one."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop.datasets import DatasetService
from genloop.errors import InvalidInput
from genloop.models import ModelService
from genloop.quality import QualityService
from genloop.store import Store


@pytest.mark.slow
def test_profile_counts_tokens_with_a_model_tokenizer(store: Store, tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="the train extra is not installed")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0, "hello": 1, "world": 2, "again": 3}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    folder = tmp_path / "tok"
    PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]").save_pretrained(str(folder))
    DatasetService(store).create("t", [{"prompt": "hello world", "completion": "hello world again, unknown!"}],
                                 kind="completion")
    by_path = QualityService(store).profile("t", tokenizer=str(folder))
    tokens = {f.name: f.tokens.max for f in by_path.text_fields}
    assert by_path.tokenizer == str(folder) and tokens == {"prompt": 2, "completion": 6}  # ',' '!' 'unknown' -> UNK
    ModelService(store).register("wordy", kind="checkpoint", uri=str(folder))
    by_model = QualityService(store).profile("t", tokenizer="wordy@1")
    assert {f.name: f.tokens.max for f in by_model.text_fields} == tokens
    with pytest.raises(InvalidInput, match="cannot load tokenizer"):
        QualityService(store).profile("t", tokenizer=str(tmp_path / "missing"))
