"""Text that is not UTF-8 is refused on import, naming the line; what is stored can always be read back.

Before the fix a JSONL line in Latin-1 was stored as a string column the store could not read again
(head: 500, JSONL export: 0 bytes, CLI: a traceback), and a CSV one silently became a binary column.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from genloop import Client
from genloop.errors import InvalidInput

LATIN1 = "café".encode("latin-1")  # b"caf\xe9": one byte that cannot start a UTF-8 sequence here


@pytest.mark.parametrize(("name", "content", "kind", "line"), [
    ("rows.jsonl", b'{"text": "ok"}\n{"text": "' + LATIN1 + b'"}\n', None, 2),
    ("rows.json", b'{"text": "ok"}\n\n{"text": {"a": ["' + LATIN1 + b'"]}}\n', None, 3),
    ("rows.csv", b"text\nok\n" + LATIN1 + b"\n", None, 3),
    ("qa.csv", b"prompt,completion\nhi,there\nx," + LATIN1 + b"\n", "completion", 3),
])
def test_files_that_are_not_utf8_are_refused_naming_the_line(store, tmp_path: Path, name: str, content: bytes,
                                                             kind: str | None, line: int) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    client = Client(store=store)
    with pytest.raises(InvalidInput, match=rf"^{name} line {line}: not valid UTF-8 text \(byte 0xe9") as info:
        client.datasets.create("d", path, kind=kind)
    assert "UTF-8" in (info.value.hint or "")
    assert client.datasets.list().items == []


def test_parquet_and_tables_with_invalid_strings_are_refused(store, tmp_path: Path) -> None:
    broken = pa.array([b"ok", LATIN1], type=pa.binary()).view(pa.string())
    pq.write_table(pa.table({"text": broken}), tmp_path / "rows.parquet")
    client = Client(store=store)
    for data in (tmp_path / "rows.parquet", pa.table({"text": broken})):
        with pytest.raises(InvalidInput, match="not valid UTF-8"):
            client.datasets.create("d", data)
    with pytest.raises(InvalidInput, match="row 1: cannot be written as JSON"):
        client.datasets.create("d", [{"text": "lone \ud800 surrogate"}])
    assert client.datasets.list().items == []


def test_rest_upload_and_cli_refuse_with_the_line(server, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    content = b'{"text": "ok"}\n{"text": "' + LATIN1 + b'"}\n'
    response = httpx.post(f"{server.url}/api/v1/projects/default/datasets/d/versions",
                          files={"file": ("rows.jsonl", io.BytesIO(content))})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("rows.jsonl line 2: not valid UTF-8 text")
    path = tmp_path / "rows.jsonl"
    path.write_bytes(content)
    result = cli("datasets", "create", "d", "-f", str(path))
    assert result.code == 1 and result.err.strip().startswith("error: rows.jsonl line 2: not valid UTF-8")
    assert len(result.err.strip().splitlines()) == 1


def test_nul_and_escaped_text_round_trip(store, server) -> None:  # type: ignore[no-untyped-def]
    rows = [{"text": "nul \x00 inside", "other": "tab\tand \u2028 line separator"}]
    local = Client(store=store)
    version = local.datasets.create("d", rows)
    assert local.datasets.head(version.ref, 5) == rows
    with Client(server.url) as remote:
        assert remote.datasets.head(version.ref, 5) == rows
    exported = httpx.get(f"{server.url}/api/v1/projects/default/datasets/d@1/content", params={"format": "jsonl"})
    assert [orjson.loads(line) for line in exported.content.splitlines()] == rows
    surrogate = b'{"text": "a\\ud800b"}\n'  # an escaped lone surrogate is not text either
    response = httpx.post(f"{server.url}/api/v1/projects/default/datasets/s/versions",
                          files={"file": ("s.jsonl", io.BytesIO(surrogate))})
    assert response.status_code == 400 and "s.jsonl line 1" in response.json()["error"]["message"]


@pytest.mark.parametrize(("loader", "what"), [("genloop.evals._spec:EvalSpec.load", "evaluation spec"),
                                              ("genloop.tuning._spec:load_spec", "tuning spec")])
def test_spec_files_that_are_not_utf8_name_the_line(tmp_path: Path, loader: str, what: str) -> None:
    """The CLI printed a UnicodeDecodeError traceback for an evaluation or tuning spec in Latin-1."""
    import importlib

    module, _, attr = loader.partition(":")
    target: object = importlib.import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"dataset: d\n# " + LATIN1 + b"\n")
    with pytest.raises(InvalidInput, match=rf"{what} '.*spec\.yaml' line 2: not valid UTF-8 text \(byte 0xe9\)"):
        target(path)  # type: ignore[operator]
