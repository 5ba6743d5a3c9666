"""The SDK both ways (in-process and over REST): create, start, read runs; errors keep their class."""

from __future__ import annotations

from typing import Any

import pytest
from tests.pipelines._helpers import rows

from genloop.errors import InvalidInput, NotFound
from genloop.pipelines import Pipeline


def test_pipelines_both_ways(client: Any) -> None:
    client.datasets.create("support", rows(20), kind="chat")
    p = Pipeline(description="prep")
    pin = p.step("pin", "dataset", dataset="support")
    p.step("split", "split", dataset=pin["dataset"], test_size=0.25)
    info = client.pipelines.create("prep", p.spec(), message="first")
    assert info.ref == "prep@1" and client.pipelines.create("prep", p.to_yaml()).version == 1  # same content
    assert [i.name for i in client.pipelines.list().items] == ["prep"]
    run = client.pipelines.start("prep", trigger={"source": "test"})
    assert run.status == "succeeded" and run.trigger == {"source": "test"}
    assert [s.status for s in run.steps] == ["succeeded", "succeeded"]
    again = client.pipelines.start("prep@1")
    assert again.step("split").status == "cached" and again.step("split").cached_from == run.id
    assert client.pipelines.get_run(run.id).step("split").outputs["train"] == "support-train@1"
    assert [r.id for r in client.pipelines.runs("prep").items] == [again.id, run.id]
    assert client.pipelines.versions("prep").total == 1


def test_errors_are_the_same_both_ways(client: Any) -> None:
    with pytest.raises(NotFound):
        client.pipelines.get("nope")
    with pytest.raises(InvalidInput, match="unknown step kind 'splt'; did you mean 'split'"):
        client.pipelines.create("bad", {"steps": [{"name": "a", "kind": "splt", "params": {}}]})
    client.pipelines.create("p", {"steps": [{"name": "a", "kind": "split", "params": {"dataset": "missing"}}]})
    with pytest.raises(InvalidInput, match="step 'a': parameter 'dataset': dataset 'missing' does not exist"):
        client.pipelines.start("p")
    assert client.pipelines.runs("p").total == 0  # refused before anything ran
