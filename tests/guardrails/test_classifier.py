"""The optional classifier check: lazy loading, the install hint, label mapping, and a real local model."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest

from genloop.errors import MissingDependency, NotFound
from genloop.guardrails import ClassifierCheck, Guard

HAS_TRANSFORMERS = importlib.util.find_spec("transformers") is not None


class FakePipeline:
    """Stands in for a loaded ``transformers`` text-classification pipeline."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.calls: list[dict[str, Any]] = []

    def __call__(self, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append({"text": text, **kwargs})
        return [{"label": label, "score": score} for label, score in self.scores.items()]


def test_labels_map_to_categories_above_the_threshold() -> None:
    pipe = FakePipeline({"TOXIC": 0.91, "INSULT": 0.4, "SAFE": 0.09})
    check = ClassifierCheck(pipeline=pipe, labels={"toxic": "toxicity", "insult": "toxicity"}, threshold=0.5)
    (finding,) = check.scan("you are awful")
    assert (finding.category, finding.kind, finding.score) == ("toxicity", "toxic", 0.91)
    assert (finding.start, finding.end) == (0, len("you are awful"))
    assert pipe.calls[0]["truncation"] is True and pipe.calls[0]["top_k"] is None
    assert check.scan("   ") == []


def test_nested_pipeline_output_is_accepted() -> None:
    class Nested(FakePipeline):
        def __call__(self, text: str, **kwargs: Any) -> list[list[dict[str, Any]]]:  # type: ignore[override]
            return [super().__call__(text, **kwargs)]

    check = ClassifierCheck(pipeline=Nested({"INJECTION": 0.8}), labels={"INJECTION": "injection"})
    assert [f.category for f in check.scan("x")] == ["injection"]


def test_a_policy_with_a_classifier_validates_without_loading(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rule = {"check": "classifier", "action": "flag", "path": str(tmp_path / "m"), "labels": {"toxic": "toxicity"}}
    guard = Guard({"name": "p", "rules": [rule]})
    assert guard.checks("input")[0].name == "classifier"


def test_missing_transformers_names_the_extra(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` fail, installed or not
    check = ClassifierCheck(path=str(tmp_path), labels={"toxic": "toxicity"})
    with pytest.raises(MissingDependency) as info:
        check.scan("hello")
    assert info.value.hint == "pip install 'genloop[train]'"


def test_missing_model_directory_is_not_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    check = ClassifierCheck(path=str(tmp_path / "absent"), labels={"toxic": "toxicity"})
    with pytest.raises(NotFound, match="does not exist"):  # before importing anything, so nothing downloads
        check.scan("hello")


@pytest.mark.slow  # importing torch and transformers takes seconds
@pytest.mark.skipif(not HAS_TRANSFORMERS, reason="transformers is not installed (the 'train' extra)")
def test_real_local_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A tiny randomly initialised BERT saved locally: nothing is downloaded."""
    pytest.importorskip("torch", reason="torch is not installed (the 'train' extra)")
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "you", "are", "awful", "nice"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab))
    BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(tmp_path / "model")
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, id2label={0: "SAFE", 1: "TOXIC"}, label2id={"SAFE": 0, "TOXIC": 1})
    BertForSequenceClassification(config).save_pretrained(tmp_path / "model")
    check = ClassifierCheck(path=str(tmp_path / "model"), labels={"TOXIC": "toxicity"}, threshold=0.01)
    scores = check.predict("you are awful")
    assert set(scores) == {"safe", "toxic"} and sum(scores.values()) == pytest.approx(1, abs=1e-3)
    (finding,) = check.scan("you are awful")
    assert finding.category == "toxicity"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"labels": {"a": "b"}}, "params.path"),
        ({"path": "/m"}, "params.labels"),
        ({"path": "/m", "labels": {"a": "b"}, "threshold": 2}, "threshold"),
        ({"path": "/m", "labels": {"a": "b"}, "max_length": 0}, "max_length"),
    ],
)
def test_bad_params(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClassifierCheck(**params)
