"""The model registry through the SDK, in-process and over REST (the ``client`` fixture runs both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop import Conflict, InvalidInput, NotFound
from genloop.models import ModelVersion


def _checkpoint(tmp_path: Path, name: str = "ckpt") -> Path:
    folder = tmp_path / name
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 8}')
    (folder / "sub" / "weights.bin").write_bytes(b"\x00\x01" * 100)
    (folder / ".gitattributes").write_text("*.bin lfs")
    return folder


def test_register_dedupe_list_and_versions(client) -> None:  # type: ignore[no-untyped-def]
    v1 = client.models.register("gpt", kind="provider", uri="openai:gpt-4o-mini",
                                base_url="https://api.example.com/v1", description="small")
    assert isinstance(v1, ModelVersion)
    assert (v1.name, v1.version, v1.kind, v1.status, v1.base) == ("gpt", 1, "provider", "draft", None)
    assert v1.config == {"base_url": "https://api.example.com/v1"} and v1.created_by == "tester"

    again, created = client.models.register_or_get("gpt", kind="provider", uri="openai:gpt-4o-mini",
                                                   base_url="https://api.example.com/v1")
    assert (again.version, created) == (1, False)
    v2, created = client.models.register_or_get("gpt", kind="provider", uri="openai:gpt-4o-mini",
                                                 config={"temperature": 0.2})
    assert (v2.version, created) == (2, True)

    page = client.models.list()
    assert [(m.name, m.latest_version, m.kind, m.status) for m in page.items] == [("gpt", 2, "provider", "draft")]
    assert [v.version for v in client.models.versions("gpt").items] == [2, 1]
    assert client.models.get("gpt@1") == v1
    assert client.models.resolve("gpt").version == 2

    creates = client.audit.list(entity_type="model", action="create").items
    assert {(e.entity_name, e.entity_version) for e in creates} == {("gpt", None), ("gpt", 1), ("gpt", 2)}
    other = client.with_project("other")
    try:
        assert other.models.list().total == 0
        with pytest.raises(NotFound, match="model 'gpt' does not exist in project 'other'"):
            other.models.get("gpt")
    finally:
        other.close()


def test_checkpoint_adapter_and_base(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _checkpoint(tmp_path)
    base = client.models.register("llama", kind="checkpoint", uri=str(folder))
    assert base.uri == str(folder.resolve())
    client.models.alias("llama@1", "champion")
    adapter = client.models.register("tiny", kind="adapter", uri=str(folder / "sub"), base="llama@champion",
                                     metadata={"rank": 8})
    assert adapter.base == "llama@1" and adapter.metadata == {"rank": 8}
    # the base is stored concrete: moving the alias later does not change the adapter
    client.models.register("llama", kind="checkpoint", uri="s3://bucket/llama-v2")
    client.models.alias("llama@2", "champion")
    assert client.models.get("tiny").base == "llama@1"
    assert client.models.register("tiny", kind="adapter", uri=str(folder / "sub"), base="model:llama@1").version == 1


BAD_REGISTRATIONS = [
    ({"kind": "lora", "uri": "x"}, InvalidInput, "invalid model kind 'lora'; use one of: provider, checkpoint"),
    ({"kind": "provider", "uri": "gpt-4o"}, InvalidInput, "must look like 'provider:model'"),
    ({"kind": "checkpoint", "uri": "/nonexistent/ckpt"}, InvalidInput, "does not exist"),
    ({"kind": "checkpoint", "uri": "nosuch://bucket/x"}, InvalidInput, "unknown storage protocol 'nosuch'"),
    ({"kind": "adapter", "uri": "s3://b/a"}, InvalidInput, "an adapter model needs a base model"),
    ({"kind": "adapter", "uri": "s3://b/a", "base": "ghost@1"}, NotFound, "base model 'ghost@1' does not resolve"),
    ({"kind": "adapter", "uri": "s3://b/a", "base": "gpt@7"}, NotFound, "has no version 7 (latest is 1)"),
    ({"kind": "adapter", "uri": "s3://b/a", "base": "gpt"}, InvalidInput, "is a provider model"),
    ({"kind": "checkpoint", "uri": "s3://b/c", "base_url": "http://x"}, InvalidInput, "only applies to provider"),
    ({"kind": "provider", "uri": "openai:x", "base_url": "ftp:/x"}, InvalidInput, "invalid base URL"),
    ({"kind": "provider", "uri": "openai:x", "base": "gpt"}, InvalidInput, "provider model has no base"),
    ({"kind": "checkpoint", "uri": "s3://b/c", "source_run_id": "nope"}, NotFound, "run 'nope' does not exist"),
]


def test_bad_registrations_change_nothing(client) -> None:  # type: ignore[no-untyped-def]
    client.models.register("gpt", kind="provider", uri="openai:gpt-4o-mini")
    for kwargs, error, message in BAD_REGISTRATIONS:
        with pytest.raises(error) as info:
            client.models.register("new", **kwargs)
        assert message in str(info.value), (kwargs, str(info.value))
    with pytest.raises(InvalidInput, match="invalid model name"):
        client.models.register("bad/name", kind="provider", uri="openai:x")
    assert [m.name for m in client.models.list().items] == ["gpt"]
    assert client.models.versions("gpt").total == 1


def test_aliases_move_and_unknown_refs(client) -> None:  # type: ignore[no-untyped-def]
    for model in ("a", "b"):
        client.models.register("m", kind="provider", uri=f"mock:{model}")
    assert client.models.alias("m@1", "production").aliases == ["production"]
    assert client.models.resolve("m@production").version == 1  # now cached
    client.models.alias("m@2", "production")
    assert client.models.resolve("m@production").version == 2  # the move invalidated the cache
    assert client.models.get("m@1").aliases == []

    with pytest.raises(NotFound, match="has no label 'staging'") as info:
        client.models.get("m@staging")
    assert "production" in str(info.value)
    with pytest.raises(NotFound, match=r"has no version 9 \(latest is 2\); use m@2"):
        client.models.alias("m@9", "production")
    with pytest.raises(InvalidInput, match="'latest' is reserved"):
        client.models.alias("m@1", "latest")
    with pytest.raises(NotFound, match="model 'ghost' does not exist"):
        client.models.get("ghost")
    assert client.models.resolve("m@production").version == 2  # nothing changed

    client.models.unalias("m", "production")
    with pytest.raises(NotFound, match="has no label 'production'"):
        client.models.resolve("m@production")
    with pytest.raises(NotFound, match="has no label 'production'"):
        client.models.unalias("m", "production")


def test_status_lifecycle_and_history(client) -> None:  # type: ignore[no-untyped-def]
    client.models.register("m", kind="provider", uri="mock:echo")
    client.models.alias("m@1", "champion")
    assert client.models.set_status("m@champion", "reviewed", reason="evals pass").status == "reviewed"
    with pytest.raises(Conflict, match="cannot go from reviewed to reviewed|already reviewed"):
        client.models.set_status("m@1", "reviewed")
    assert client.models.set_status("m@1", "approved", reason="signed off").status == "approved"
    with pytest.raises(Conflict, match="cannot go from approved to draft; from approved it can go to: retired"):
        client.models.set_status("m@1", "draft")
    with pytest.raises(InvalidInput, match="invalid model status 'done'; use one of: draft, reviewed, approved"):
        client.models.set_status("m@1", "done")
    assert client.models.resolve("m@champion").status == "approved"
    client.models.set_status("m@1", "retired", reason="superseded")
    with pytest.raises(Conflict, match="retired is final"):
        client.models.set_status("m@1", "approved")
    with pytest.raises(Conflict, match="is retired and cannot take alias"):
        client.models.alias("m@1", "production")

    detail = client.models.show("m@1")
    assert detail.status == "retired" and detail.aliases == ["champion"]
    steps = [(h.from_status, h.to_status, h.reason, h.actor) for h in detail.history]
    assert steps == [(None, "draft", "registered", "tester"), ("draft", "reviewed", "evals pass", "tester"),
                     ("reviewed", "approved", "signed off", "tester"), ("approved", "retired", "superseded", "tester")]
    events = client.audit.list(entity_type="model", action="status").items
    assert [(e.before, e.after) for e in events][0] == ({"status": "approved"},
                                                        {"status": "retired", "reason": "superseded"})


def test_copy_into_the_artifact_store(client, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _checkpoint(tmp_path)
    version = client.models.register("llama", kind="checkpoint", uri=str(folder), copy=True)
    key = version.metadata["artifact_key"]
    assert key.startswith("models/llama/sha256-") and version.uri == store.artifacts.url(key)
    assert version.metadata["source_uri"] == str(folder.resolve()) and version.metadata["files"] == 2
    assert store.artifacts.exists(f"{key}/sub/weights.bin") and store.artifacts.exists(f"{key}/config.json")
    assert sorted(Path(p).name for p in store.artifacts.fs.find(store.artifacts.path(key))) == [
        "config.json", "weights.bin"]
    assert client.models.register("llama", kind="checkpoint", uri=str(folder), copy=True).version == 1

    single = client.models.register("gguf", kind="quantized", uri=str(folder / "config.json"), copy=True)
    assert single.uri.endswith("/config.json")
    with pytest.raises(InvalidInput, match="cannot copy 's3://b/x'"):
        client.models.register("llama", kind="checkpoint", uri="s3://b/x", copy=True)
    with pytest.raises(InvalidInput, match="cannot copy 'openai:x'"):
        client.models.register("llama", kind="provider", uri="openai:x", copy=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="has no files to copy"):
        client.models.register("llama", kind="checkpoint", uri=str(tmp_path / "empty"), copy=True)
    with pytest.raises(InvalidInput, match="does not exist"):
        client.models.register("llama", kind="checkpoint", uri=str(tmp_path / "missing"), copy=True)
    assert client.models.versions("llama").total == 1
