"""Creating versions through the SDK, in-process and over REST: sources, dedupe, kinds, refs, listing."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from genloop.datasets import DatasetVersion
from genloop.errors import InvalidInput, NotFound


def test_create_dedupe_refs_labels_and_projects(client, chat_rows, completion_rows) -> None:  # type: ignore[no-untyped-def]
    v1, created = client.datasets.create_or_get("qa", completion_rows, kind="completion", message="first",
                                                tags=["golden"])
    assert created and isinstance(v1, DatasetVersion)
    assert (v1.name, v1.version, v1.kind, v1.num_rows) == ("qa", 1, "completion", 3)
    assert v1.content_hash.startswith("sha256:") and len(v1.content_hash) == 71
    assert [c.name for c in v1.columns] == ["prompt", "completion", "score"]
    assert v1.tags == ["golden"] and v1.message == "first" and v1.created_by == "tester"
    again, created = client.datasets.create_or_get("qa", [dict(r) for r in completion_rows], kind="completion")
    assert not created and again == v1
    assert client.datasets.versions("qa").total == 1

    v2 = client.datasets.create("qa", completion_rows[:2], source_run_id="run-1")  # kind: the latest version's
    assert (v2.version, v2.kind, v2.num_rows, v2.source_run_id) == (2, "completion", 2, "run-1")
    assert client.datasets.get("qa").version == 2
    assert client.datasets.get("qa@1").num_rows == 3
    labelled = client.datasets.label("qa@1", "production")
    assert labelled.labels == ["production"]
    assert client.datasets.get("qa@production").version == 1
    assert [v.version for v in client.datasets.versions("qa").items] == [2, 1]
    client.datasets.unlabel("qa", "production")
    with pytest.raises(NotFound, match="has no label 'production'"):
        client.datasets.get("qa@production")
    with pytest.raises(NotFound, match=r"has no version 9 \(latest is 2\)"):
        client.datasets.get("qa@9")
    other = client.with_project("other")
    try:
        with pytest.raises(NotFound, match="dataset 'qa' does not exist in project 'other'"):
            other.datasets.get("qa")
        assert other.datasets.create("qa", chat_rows, kind="chat").version == 1
    finally:
        other.close()


def test_same_rows_hash_the_same_from_every_source(client, tmp_path: Path, write_jsonl, write_parquet,  # type: ignore[no-untyped-def]
                                                  write_csv, chat_rows) -> None:
    import datasets as hf

    table = pa.Table.from_pylist(chat_rows)
    hf_ds = hf.Dataset.from_list(chat_rows)
    hf_ds.save_to_disk(str(tmp_path / "saved"))
    sources = {
        "rows": chat_rows,
        "jsonl": write_jsonl(chat_rows, "chat.jsonl"),
        "parquet": write_parquet(table, "chat.parquet"),
        "table": table,
        "large": table.cast(pa.schema([pa.field("id", pa.int32()), pa.field("messages", pa.large_list(
            pa.struct([("role", pa.large_string()), ("content", pa.large_string())])))])),
        "hf": hf_ds,
        "hf-folder": tmp_path / "saved",
    }
    hashes = {name: client.datasets.create(f"chat-{name}", data, kind="chat").content_hash
              for name, data in sources.items()}
    assert len(set(hashes.values())) == 1, hashes
    assert client.datasets.get("chat-hf").columns[1].type == "list<struct<role: string, content: string>>"
    assert client.datasets.create("chat-rows", table.slice(1), kind="chat").version == 2
    assert client.datasets.create("chat-generic", chat_rows, kind="generic").content_hash != hashes["rows"]  # the kind is hashed

    # CSV holds text only: the same text from CSV and JSONL hashes the same (dates stay text)
    rows = [{"prompt": "a, b", "completion": "multi\nline"}, {"prompt": "2024-01-01", "completion": "a date, as text"}]
    from_csv = client.datasets.create("c", write_csv(["prompt", "completion"], [list(r.values()) for r in rows]),
                                      kind="completion")
    from_jsonl = client.datasets.create("j", write_jsonl(rows), kind="completion")
    assert from_csv.content_hash == from_jsonl.content_hash
    assert client.datasets.head("c", 5) == rows


def test_kinds_listing_tags_and_audit(client, chat_rows, completion_rows) -> None:  # type: ignore[no-untyped-def]
    ok = {
        "chat": chat_rows,
        "completion": completion_rows,
        "preference": [{"prompt": "q", "chosen": "good", "rejected": "bad"},
                       {"prompt": [{"role": "user", "content": "q"}], "chosen": [{"role": "assistant", "content": "a"}],
                        "rejected": [{"role": "assistant", "content": "b"}]}],
        "eval": [{"input": {"question": "q", "context": "c"}, "reference": "a"}, {"question": "q2"},
                 {"messages": [{"role": "user", "content": "hi"}], "reference": "x"}],
        "generic": [{"anything": 1}, {"anything": 2, "else": [1, 2]}],
    }
    for i, row in enumerate(ok.pop("preference")):  # text and message lists cannot share one column
        assert client.datasets.create(f"pref-{i}", [row], kind="preference").num_rows == 1
    for kind, rows in ok.items():
        version = client.datasets.create(f"k-{kind}", rows, kind=kind)
        assert (version.kind, version.num_rows) == (kind, len(rows))

    client.datasets.create("b", completion_rows, kind="completion")
    client.datasets.create("a", chat_rows, kind="chat")
    client.datasets.create("a", chat_rows[:1])
    client.datasets.label("a@1", "golden")
    page = client.datasets.list()
    assert page.total == 8 and [d.name for d in page.items][:3] == ["a", "b", "k-chat"]
    assert [(d.name, d.latest_version, d.num_versions, d.kind, d.num_rows) for d in page.items[:2]] == [
        ("a", 2, 2, "chat", 1), ("b", 1, 1, "completion", 3)]
    assert page.items[0].labels == {"golden": 1}
    assert [d.name for d in client.datasets.list(offset=7, limit=1).items] == ["pref-1"]
    assert client.datasets.list(limit=1).next_offset == 1
    with pytest.raises(InvalidInput, match="limit must be between 1 and 1000"):
        client.datasets.list(limit=0)

    client.datasets.create("t", completion_rows, kind="completion", tags=["sft"])
    assert client.datasets.tag("t", "golden").tags == ["sft", "golden"]
    assert client.datasets.tag("t@1", "golden").tags == ["sft", "golden"]  # idempotent
    assert client.datasets.untag("t", "sft").tags == ["golden"]
    with pytest.raises(NotFound, match=r"dataset t@1 has no tag 'sft'; its tags: golden"):
        client.datasets.untag("t", "sft")
    with pytest.raises(InvalidInput, match="invalid tag 'bad tag'"):
        client.datasets.tag("t", "bad tag")
    actions = [e.action for e in client.audit.list(entity_type="dataset", name="t").items]
    assert actions.count("tag") == 1 and actions.count("untag") == 1
    assert "label" not in actions
