"""The content hash (canonical over values, independent of chunking, source and column order) and the import
pipeline on its own: schema widening, CSV fallbacks, missing extras."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

import genloop.datasets._jsonl as jsonl_module
from genloop.datasets._hash import ContentHasher, canonical_schema
from genloop.datasets._import import import_source
from genloop.datasets._kinds import kind_spec
from genloop.datasets._sources import open_source

ROWS: list[dict[str, Any]] = [
    {"text": "a", "n": 1, "x": 0.5, "ok": True, "tags": ["p", "q"], "meta": {"k": "v", "z": None}},
    {"text": None, "n": None, "x": None, "ok": None, "tags": None, "meta": None},
    {"text": "", "n": -7, "x": 2.0, "ok": False, "tags": [], "meta": {"k": None, "z": 3}},
    {"text": "ünïcode ✓", "n": 2**40, "x": -1e-9, "ok": True, "tags": ["", "r"], "meta": {"k": "w", "z": 1}},
]


def digest(table: pa.Table, kind: str = "generic", chunk: int | None = None) -> str:
    hasher = ContentHasher(kind)
    schema = canonical_schema(table.schema)
    for batch in table.to_batches(max_chunksize=chunk):
        hasher.update(batch.cast(schema))
    return hasher.hexdigest()


def imported(data: Any, kind: str, tmp_path: Path) -> str:
    written = import_source(open_source(data), kind_spec(kind), tmp_path / "out")
    written.path.unlink()
    return written.content_hash


def test_hash_ignores_chunking_slicing_and_column_order() -> None:
    table = pa.Table.from_pylist(ROWS * 5)
    expected = digest(table)
    assert expected.startswith("sha256:") and len(expected) == 71
    for chunk in (1, 2, 3, 7):
        assert digest(table, chunk=chunk) == expected
    assert digest(pa.concat_tables([table.slice(0, 3), table.slice(3)])) == expected
    assert digest(table.select(list(reversed(table.column_names)))) == expected
    assert digest(pa.Table.from_pylist((ROWS * 6)[1:]).slice(0, 20).combine_chunks()) != expected


def test_hash_changes_with_values_order_nulls_and_kind() -> None:
    base = digest(pa.Table.from_pylist(ROWS))
    variants = [
        pa.Table.from_pylist(list(reversed(ROWS))),
        pa.Table.from_pylist([{**ROWS[0], "text": "b"}, *ROWS[1:]]),
        pa.Table.from_pylist([{**ROWS[0], "text": None}, *ROWS[1:]]),
        pa.Table.from_pylist([{**ROWS[2], "text": None}, *ROWS[1:2], {**ROWS[0], "text": ""}, ROWS[3]]),
        pa.Table.from_pylist([{**ROWS[0], "tags": ["pq"]}, *ROWS[1:]]),
        pa.Table.from_pylist([{**ROWS[0], "tags": ["p", "q", ""]}, *ROWS[1:]]),
        pa.Table.from_pylist(ROWS[:3]),
    ]
    digests = {digest(t) for t in variants}
    assert base not in digests and len(digests) == len(variants)
    assert digest(pa.Table.from_pylist(ROWS), kind="eval") != base


def test_same_rows_from_jsonl_list_parquet_and_hf_hash_the_same(tmp_path: Path, chat_rows) -> None:
    import pyarrow.parquet as pq

    import datasets as hf

    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in ROWS))
    table = pa.Table.from_pylist(ROWS)
    pq.write_table(table, tmp_path / "rows.parquet", row_group_size=2)
    hashes = {imported(src, "generic", tmp_path) for src in
              (ROWS, jsonl, tmp_path / "rows.parquet", table, hf.Dataset.from_list(ROWS))}
    assert len(hashes) == 1
    reordered = hf.Dataset.from_list(list(reversed(chat_rows))).select([2, 1, 0])  # an index mapping
    chat = {imported(src, "chat", tmp_path) for src in (chat_rows, reordered)}
    assert len(chat) == 1


def test_a_missing_field_and_an_explicit_null_are_the_same(tmp_path: Path) -> None:
    assert imported([{"a": 1, "b": None}, {"a": 2, "b": "x"}], "generic", tmp_path) == \
        imported([{"a": 1}, {"a": 2, "b": "x"}], "generic", tmp_path)


def test_jsonl_whose_types_widen_later_is_read_with_the_whole_file_schema(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl_module, "BLOCK_SIZE", 1024)
    rows = [{"prompt": f"p{i}", "completion": "c", "score": i} for i in range(500)]
    rows += [{"prompt": "late", "completion": "c", "score": 0.5, "extra": {"when": "2024-01-01"}}]
    written = import_source(open_source(rows), kind_spec("completion"), tmp_path)
    assert written.num_rows == 501
    assert {c["name"]: c["type"] for c in written.columns} == {
        "prompt": "string", "completion": "string", "score": "double", "extra": "struct<when: string>"}
    monkeypatch.undo()
    assert imported(rows, "completion", tmp_path) == written.content_hash  # one block, no retry: same hash


def test_csv_whose_types_change_later_is_read_again_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import genloop.datasets._csv as csv_module

    monkeypatch.setattr(csv_module, "BLOCK_SIZE", 256)
    lines = ["prompt,completion,n,when", *(f"p{i},c{i},{i},2024-01-0{i % 9 + 1}" for i in range(200)),
             '"multi\nline",c,word,2024-01-01']
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n")
    written = import_source(open_source(path), kind_spec("completion"), tmp_path / "out")
    assert written.num_rows == 201
    assert [c["type"] for c in written.columns] == ["string"] * 4


def test_a_saved_folder_without_the_hf_extra_names_the_install_command(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from genloop.errors import MissingDependency

    (tmp_path / "saved").mkdir()
    monkeypatch.setitem(sys.modules, "datasets", None)  # as if the package were not installed
    with pytest.raises(MissingDependency, match=r"pip install 'genloop\[hf\]'"):
        import_source(open_source(tmp_path / "saved"), kind_spec("chat"), tmp_path / "out")
    assert list((tmp_path / "out").glob("*")) == []
