"""The tuning spec: YAML loading, defaults by method, and the errors a bad spec gets (no training stack needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop.cli.tune import parse_overrides
from genloop.errors import InvalidInput
from genloop.tuning import TuneSpec, load_spec

YAML = """
base: tiny@1
train: qa@2
method: lora
epochs: 3
lora: {r: 8}
eval:
  dataset: golden@1
  metrics: [exact_match]
"""


def test_yaml_file_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "tune.yaml"
    path.write_text(YAML)
    spec = load_spec(path)
    assert (spec.base, spec.train, spec.method, spec.epochs) == ("tiny@1", "qa@2", "lora", 3)
    assert (spec.lora.r, spec.lora.alpha, spec.lora.dropout, spec.lora.target_modules) == (8, 32, 0.05, "auto")
    assert spec.lr == 2e-4 and spec.uses_adapter and spec.completion_only
    assert spec.output_name() == "tiny-lora"
    assert spec.eval is not None and spec.eval.dataset == "golden@1"
    assert load_spec(YAML) == spec  # YAML text works too


@pytest.mark.parametrize(("method", "adapter", "lr"), [
    ("sft", None, 2e-5), ("sft", True, 2e-4), ("lora", None, 2e-4), ("qlora", None, 2e-4), ("dpo", None, 5e-5),
    ("dpo", False, 5e-7), ("kto", None, 5e-5),
])
def test_learning_rate_defaults_by_method(method: str, adapter: bool | None, lr: float) -> None:
    spec = TuneSpec(base="tiny", train="qa", method=method, adapter=adapter)  # type: ignore[arg-type]
    assert spec.lr == lr
    assert TuneSpec(base="tiny", train="qa", method=method, learning_rate=1e-3).lr == 1e-3  # type: ignore[arg-type]


@pytest.mark.parametrize(("body", "needle"), [
    ({"base": "tiny"}, "train: Field required"),
    ({"base": "tiny", "train": "qa", "method": "ppo"}, "method: Input should be"),
    ({"base": "tiny", "train": "qa", "lora": {"r": 0}}, "lora.r"),
    ({"base": "tiny", "train": "qa", "epochs": 1, "typo": 1}, "typo: Extra inputs"),
    ({"base": "tiny", "train": "qa", "method": "lora", "adapter": False}, "trains an adapter"),
    ({"base": "bad name!", "train": "qa"}, "invalid name"),
    ({"base": "tiny", "train": "qa@", "method": "lora"}, "ends with '@'"),
    ({"base": "tiny", "train": "qa", "output": "no/slash"}, "invalid output model name"),
])
def test_bad_specs_name_the_field(body: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidInput) as err:
        load_spec(body)
    assert needle in str(err.value)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_spec("base: [tiny\ntrain: qa")
    with pytest.raises(InvalidInput, match="a mapping"):
        load_spec("- just\n- a list\n")


def test_eval_section_builds_an_eval_spec() -> None:
    spec = load_spec(YAML)
    assert spec.eval is not None
    built = spec.eval.eval_spec("tuned", "local:/models/x")
    assert built.dataset == "golden@1" and built.metrics == ["exact_match"]
    assert built.candidates[0].name == "tuned" and built.candidates[0].model == "local:/models/x"
    assert built.candidates[0].params == {"temperature": 0, "max_tokens": 64}


def test_cli_overrides_are_nested_yaml_values() -> None:
    assert parse_overrides(["epochs=3", "lora.r=8", "method=dpo", "eval.params.max_tokens=16"]) == {
        "epochs": 3, "lora": {"r": 8}, "method": "dpo", "eval": {"params": {"max_tokens": 16}}}
    with pytest.raises(InvalidInput, match="KEY=VALUE"):
        parse_overrides(["epochs"])
