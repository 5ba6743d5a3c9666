"""A spec with a cycle, an unknown kind, step, output or parameter, or a bad value is refused, naming the step."""

from __future__ import annotations

from typing import Any

import pytest

from genloop.errors import InvalidInput
from genloop.pipelines import Pipeline, PipelineService, PipelineSpec
from genloop.pipelines._validate import check_spec, topological_order
from genloop.store import Store


def _spec(*steps: dict[str, Any], params: dict[str, Any] | None = None) -> PipelineSpec:
    return PipelineSpec.load({"params": params or {}, "steps": list(steps)})


def _step(name: str, kind: str = "split", **params: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "params": params}


@pytest.mark.parametrize(("steps", "message"), [
    ([_step("a", dataset="${steps.b.train}"), _step("b", dataset="${steps.a.train}")],
     "the pipeline has a cycle: a -> b -> a"),
    ([_step("a", dataset="d"), {"name": "b", "kind": "split", "params": {"dataset": "d"}, "depends_on": ["b"]}],
     "cycle: b -> b"),
    ([_step("a", kind="tuen", spec={})], "step 'a': unknown step kind 'tuen'; did you mean 'tune'"),
    ([_step("a", dataset="${steps.x.train}")], "step 'a': ${steps.x.train} refers to unknown step 'x'"),
    ([_step("a", dataset="d"), _step("b", dataset="${steps.a.trian}")],
     "step 'b': ${steps.a.trian}: step 'a' (kind split) has no output 'trian'; did you mean 'train'"),
    ([_step("a", dataset="${steps.a.train}")], "refers to the step itself"),
    ([_step("a", datset="d")], "step 'a': unknown parameter 'datset' for kind 'split'; did you mean 'dataset'"),
    ([_step("a")], "step 'a': missing parameter(s) dataset for kind 'split'"),
    ([_step("a", dataset="d", seed="many")], "step 'a': parameter 'seed'"),
    ([_step("a", dataset="${params.src}")], "step 'a': ${params.src} names an undeclared pipeline parameter"),
    ([_step("a", dataset="${env.HOME}")], "step 'a': unknown expression ${env.HOME}"),
    ([_step("a", dataset="d"), _step("a", dataset="d")], "two steps are named 'a'"),
    ([_step("a b", dataset="d")], "invalid step name 'a b'"),
    ([{"name": "a", "kind": "split", "params": {"dataset": "d"}, "depends_on": ["zz"]}],
     "step 'a' depends on unknown step 'zz'"),
])
def test_refused_before_anything_runs(steps: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_spec(_spec(*steps))
    assert message in str(info.value)


def test_bad_yaml_and_shape() -> None:
    with pytest.raises(InvalidInput, match="not valid YAML"):
        PipelineSpec.load("steps: [\n  - {")
    with pytest.raises(InvalidInput, match=r"steps\[0\] \(a\)\.bogus: Extra inputs"):
        PipelineSpec.load({"steps": [{"name": "a", "kind": "split", "bogus": 1}]})
    with pytest.raises(InvalidInput, match="steps: List should have at least 1 item"):
        PipelineSpec.load({"steps": []})


def test_order_respects_dependencies_and_keeps_spec_order() -> None:
    spec = _spec(_step("c", dataset="${steps.b.train}"), _step("a", dataset="d"), _step("b", dataset="${steps.a.test}"))
    assert topological_order(spec) == ["a", "b", "c"]


def test_yaml_and_python_give_the_same_version(store: Store) -> None:
    p = Pipeline()
    src = p.param("src", "d")
    a = p.step("a", "split", dataset=src)
    p.step("b", "dedup", dataset=a["train"], method="exact", name="clean")
    yaml_text = """
params: {src: d}
steps:
  - {name: a, kind: split, params: {dataset: "${params.src}"}}
  - {name: b, kind: dedup, params: {dataset: "${steps.a.train}", method: exact, name: clean}}
"""
    service = PipelineService(store)
    assert service.create("x", p.spec()).version == 1
    assert service.create("x", yaml_text).version == 1
    changed = service.create("x", yaml_text.replace("exact", "near"), message="near")
    assert changed.version == 2 and service.get("x@1").spec["steps"][1]["params"]["method"] == "exact"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # refused before any SQL
def test_unknown_run_param_and_bad_resume(store: Store) -> None:
    service = PipelineService(store)
    service.create("x", {"params": {"src": "d"}, "steps": [_step("a", dataset="${params.src}")]})
    with pytest.raises(InvalidInput, match="pipeline 'x' has no parameter\\(s\\) sorce"):
        service.start("x", params={"sorce": "e"})
    with pytest.raises(InvalidInput, match="step 'a': parameter 'dataset': dataset 'd' does not exist"):
        service.start("x")
    with pytest.raises(InvalidInput, match="step 'a': parameter 'dataset': dataset 'e' does not exist"):
        service.start("x", params={"src": "e"})


def test_bounds_deep_values_long_chains_and_text_no_store_keeps() -> None:
    deep: dict[str, Any] = {"x": 1}
    for _ in range(100):
        deep = {"a": deep}
    with pytest.raises(InvalidInput, match="nests values deeper than 32 levels"):
        PipelineSpec.load({"steps": [_step("a", kind="clean", dataset="d", steps=[deep])]})
    with pytest.raises(InvalidInput, match="NUL character or a lone surrogate"):
        PipelineSpec.load({"description": "a\x00b", "steps": [_step("a", dataset="d")]})
    with pytest.raises(InvalidInput, match="NUL character or a lone surrogate"):
        PipelineSpec.load({"steps": [_step("a", dataset="d\ud800")]})
    with pytest.raises(InvalidInput, match="501 steps; at most 500"):
        PipelineSpec.load({"steps": [_step(f"s{i}", dataset="d") for i in range(501)]})
    # a 500-step chain written last-first is ordered without recursion
    chain = [_step(f"s{i}", dataset=f"${{steps.s{i + 1}.train}}") for i in range(499)] + [_step("s499", dataset="d")]
    order = topological_order(check_spec_and_return(chain))
    assert order[0] == "s499" and order[-1] == "s0"


def check_spec_and_return(steps: list[dict[str, Any]]) -> PipelineSpec:
    spec = _spec(*steps)
    check_spec(spec)
    return spec


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a refusal, not SQL
def test_a_gate_on_a_run_that_does_not_exist_is_refused_before_anything_runs(store: Store) -> None:
    service = PipelineService(store)
    service.create("g", {"steps": [_step("a", kind="gate", run="no-such-run", gates=["x>=1"])]})
    with pytest.raises(InvalidInput, match="step 'a': parameter 'run': run 'no-such-run' does not exist"):
        service.start("g")
    assert service.runs("g").total == 0
