"""Reading and exporting versions through the SDK, in-process and over REST."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from genloop.errors import InvalidInput


def test_head_read_stream_and_export_round_trip(client, tmp_path: Path, chat_rows) -> None:  # type: ignore[no-untyped-def]
    rows = [{**r, "n": i} for i, r in enumerate(chat_rows)]
    version = client.datasets.create("chat", rows, kind="chat")
    assert client.datasets.head("chat", 2) == rows[:2]
    assert client.datasets.head("chat@1", 0) == []
    with pytest.raises(InvalidInput, match="n must be between 0 and 10000, got -1"):
        client.datasets.head("chat", -1)

    table = client.datasets.read("chat")
    assert isinstance(table, pa.Table) and table.to_pylist() == rows
    assert client.datasets.read("chat", columns=["n"]).column_names == ["n"]
    with pytest.raises(InvalidInput, match=r"dataset chat@1 has no column 'nope'; its columns are: id, messages, n"):
        client.datasets.read("chat", columns=["nope"])
    assert [b.num_rows for b in client.datasets.iter_batches("chat", batch_size=2)] == [2, 1]
    assert list(client.datasets.iter_rows("chat@1", batch_size=1, columns=["id"])) == [{"id": 1}, {"id": 2}, {"id": 3}]
    with client.datasets.local_path("chat") as path:
        assert pq.read_table(path).num_rows == 3

    out = client.datasets.export("chat", tmp_path / "out.jsonl")
    assert [json.loads(line) for line in out.read_text().splitlines()] == rows
    again, created = client.datasets.create_or_get("chat", out)  # the export re-imports as the same content
    assert not created and again.version == version.version
    assert pq.read_table(client.datasets.export("chat", tmp_path / "out.parquet")).to_pylist() == rows
    with open(client.datasets.export("chat", tmp_path / "out.txt", format="csv"), newline="") as f:
        exported = list(csv.DictReader(f))
    assert json.loads(exported[0]["messages"]) == rows[0]["messages"] and exported[2]["n"] == "2"
    assert b"".join(client.datasets.content("chat", format="jsonl")) == out.read_bytes()
    with pytest.raises(InvalidInput, match="cannot tell the export format from 'out.xlsx'"):
        client.datasets.export("chat", tmp_path / "out.xlsx")
    with pytest.raises(InvalidInput, match="unknown export format 'xml'"):
        client.datasets.export("chat", tmp_path / "out.xml", format="xml")
