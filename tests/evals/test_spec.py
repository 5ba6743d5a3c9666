"""The spec: loading from YAML, validation messages, and a hash that ignores operational fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop.errors import InvalidInput
from genloop.evals import EvalSpec

SPEC = """
name: qa
dataset: golden@1
candidates:
  - {name: base, prompt: qa@1, model: "mock:echo"}
  - {output_column: logged}
metrics: [exact_match]
judges:
  - {name: helpful, model: "mock:judge"}
concurrency: 4
"""


def test_load_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text(SPEC)
    spec = EvalSpec.load(path)
    assert spec.candidate_names() == ["base", "logged"]
    assert spec.judges[0].type == "pointwise"
    assert EvalSpec.load(str(path)) == spec


def test_hash_ignores_concurrency_cost_cap_and_executor() -> None:
    from genloop.evals._spec import canonical_hash

    spec = EvalSpec.load(SPEC)
    other = spec.model_copy(update={"concurrency": 64, "max_cost": 1.0, "executor": "ray"})
    assert canonical_hash(spec.semantic()) == canonical_hash(other.semantic())
    changed = spec.model_copy(update={"limit": 5})
    assert canonical_hash(spec.semantic()) != canonical_hash(changed.semantic())


@pytest.mark.parametrize(("text", "message"), [
    ("dataset: d\ncandidates: []", "candidates"),
    ("dataset: d\ncandidates: [{model: 'mock:x', output_column: y}]", "either"),
    ("dataset: d\ncandidates: [{model: 'mock:x'}, {model: 'mock:x'}]", "unique"),
    ("dataset: d\ncandidates: [{model: 'mock:x'}]\nbogus: 1", "bogus"),
    ("- just a list", "mapping"),
    ("dataset: [unclosed", "YAML"),
])
def test_invalid_specs_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        EvalSpec.load(text)
    assert message in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        EvalSpec.load("nope.yaml")
