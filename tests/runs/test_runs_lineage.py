"""Typed references and the lineage graph, through the SDK (local and remote) and the CLI."""

from __future__ import annotations

import pytest

from genloop import InvalidInput, NotFound
from genloop.refs import Ref
from genloop.runs import LineageNode, TypedRef, parse_typed_ref


def test_parse_typed_ref() -> None:
    assert parse_typed_ref("dataset:golden@3") == TypedRef("dataset", Ref("golden", version=3))
    assert parse_typed_ref(" model:tiny@champion ") == TypedRef("model", Ref("tiny", label="champion"))
    assert parse_typed_ref("tiny") == TypedRef(None, Ref("tiny"))
    assert str(parse_typed_ref("prompt:support@latest")) == "prompt:support"
    assert parse_typed_ref("model:tiny@4").version == 4
    for text, message in [("trace:x", "unknown entity type 'trace'"), ("", "empty reference"),
                          ("model:", "empty reference"), ("model:a/b", "invalid name"), ("model:x@", "ends with '@'")]:
        with pytest.raises(InvalidInput) as info:
            parse_typed_ref(text)
        assert message in str(info.value)
    with pytest.raises(InvalidInput, match="needs an entity type"):
        parse_typed_ref("tiny@2", require_type=True)


def _build_history(client, seed) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """raw@1 -(clean)-> golden@1 -(split)-> golden@2; tune(golden@2, llama@1, support@1) -> tiny@1 (adapter)."""
    seed.dataset("raw")
    clean = client.runs.start("data", name="clean", inputs=["dataset:raw@1"])
    seed.dataset("golden", source_run_id=clean.id)
    client.runs.finish(clean.id)
    split = client.runs.start("data", name="split", inputs=["dataset:golden@1"])
    seed.dataset("golden", parent_version=1)
    client.runs.add_output(split.id, "dataset:golden@2")
    client.runs.finish(split.id)
    seed.prompt("support")
    client.models.register("llama", kind="checkpoint", uri="s3://bucket/llama")
    with client.runs.run(kind="tune", name="sft", inputs=["dataset:golden@2", "model:llama", "prompt:support"]) as r:
        client.models.register("tiny", kind="adapter", uri="s3://bucket/tiny", base="llama@1", source_run_id=r.id)
    client.models.alias("tiny@1", "champion")
    return {"clean": clean.id, "split": split.id, "tune": r.id}


def _shape(node: LineageNode) -> tuple:  # type: ignore[type-arg]
    run = node.produced_by.name if node.produced_by else None
    parent = _shape(node.parent) if node.parent else None
    return (node.ref, run, tuple(_shape(n) for n in node.inputs), parent, node.truncated)


def test_lineage_tree(client, seed) -> None:  # type: ignore[no-untyped-def]
    runs = _build_history(client, seed)
    raw = ("dataset:raw@1", None, (), None, False)
    golden1 = ("dataset:golden@1", "clean", (raw,), None, False)
    golden2 = ("dataset:golden@2", "split", (golden1,), golden1, False)
    llama = ("model:llama@1", None, (), None, False)
    support = ("prompt:support@1", None, (), None, False)
    expected = ("model:tiny@1", "sft", (golden2, llama, support), llama, False)

    node = client.lineage("model:tiny@champion")
    assert isinstance(node, LineageNode) and _shape(node) == expected
    assert node.produced_by.id == runs["tune"] and node.produced_by.status == "succeeded"
    assert _shape(client.lineage("tiny@1")) == expected  # untyped, unambiguous
    assert _shape(client.runs.lineage("tiny", kind="model")) == expected

    shallow = client.lineage("dataset:golden@2", depth=1)
    cut = ("dataset:golden@1", "clean", (), None, True)  # made by a run, its inputs not followed
    assert _shape(shallow) == ("dataset:golden@2", "split", (cut,), cut, False)
    assert _shape(client.lineage("dataset:raw", depth=0)) == raw

    client.models.register("golden", kind="provider", uri="mock:echo")
    with pytest.raises(InvalidInput) as info:
        client.lineage("golden@1")
    assert "'golden' is ambiguous in project 'default'" in str(info.value)
    assert "use a typed reference: dataset:golden@1, model:golden@1" in str(info.value)
    assert client.lineage("golden@1", kind="dataset").ref == "dataset:golden@1"
    for call, error, message in [
        (lambda: client.lineage("ghost"), NotFound, "no dataset, prompt or model is called 'ghost'"),
        (lambda: client.lineage("model:tiny@7"), NotFound, "model 'tiny' has no version 7 (latest is 1)"),
        (lambda: client.lineage("model:tiny", kind="dataset"), InvalidInput, "'model:tiny' is a model, not a dataset"),
        (lambda: client.lineage("tiny", kind="trace"), InvalidInput, "unknown entity type 'trace'"),
        (lambda: client.lineage("tiny", depth=101), InvalidInput, "depth must be between 0 and 100"),
    ]:
        with pytest.raises(error) as info:
            call()
        assert message in str(info.value)


@pytest.mark.parametrize(("database_url", "client"), [("sqlite", "local")], indirect=True)
def test_lineage_cli(client, seed, cli) -> None:  # type: ignore[no-untyped-def]
    runs = _build_history(client, seed)
    result = cli("lineage", "tiny@champion", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["ref"] == "model:tiny@1" and data["produced_by"]["id"] == runs["tune"]
    assert [n["ref"] for n in data["inputs"]] == ["dataset:golden@2", "model:llama@1", "prompt:support@1"]

    tree = cli("lineage", "model:tiny@1", "--depth", "2")
    assert tree.code == 0, tree.err
    for text in ("model:tiny@1", "made by tune run", "input: dataset:golden@2", "parent: dataset:golden@1",
                 "base: model:llama@1", "prompt:support@1", "raise --depth"):
        assert text in tree.out, tree.out

    assert cli("lineage", "ghost").code == 1
    ambiguous = cli("lineage", "golden@1", "--kind", "model")
    assert ambiguous.code == 1 and "model 'golden' does not exist" in ambiguous.err
