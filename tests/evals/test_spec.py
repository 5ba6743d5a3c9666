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


def test_a_metric_listed_twice_gets_a_hint_that_works() -> None:
    from genloop.evals._metrics import resolve_metrics

    with pytest.raises(InvalidInput, match="listed twice") as info:
        resolve_metrics(["rouge_l", {"name": "rouge_l", "stemmer": True}])
    assert info.value.hint == "label the second one: {metric: rouge_l, name: rouge_l_2, ...}"
    resolved = resolve_metrics(["rouge_l", {"metric": "rouge_l", "name": "rouge_l_2", "stemmer": True}])
    assert [name for name, _ in resolved] == ["rouge_l", "rouge_l_2"]
    assert resolved[1][1].spec == {"metric": "rouge_l", "name": "rouge_l_2", "variant": "rougeL", "stemmer": True,
                                   "measure": "fmeasure"}
    with pytest.raises(InvalidInput, match="'r2' is listed twice") as info:
        resolve_metrics([{"metric": "rouge", "name": "r2"}, {"metric": "rouge", "name": "r2", "variant": "rouge2"}])
    assert "{metric: rouge, name: r2_2, ...}" in (info.value.hint or "")
