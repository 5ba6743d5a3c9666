"""Fixtures for the datasets tests: writers of JSONL, CSV and Parquet files in the test's tmp_path."""

from __future__ import annotations

import copy
import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

CHAT_ROWS: list[dict[str, Any]] = [
    {"id": 1, "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                           {"role": "assistant", "content": "Hello!"}]},
    {"id": 2, "messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]},
    {"id": 3, "messages": [{"role": "user", "content": "Weather?"},
                           {"role": "tool", "content": "{\"sunny\": true}"}, {"role": "assistant", "content": ""}]},
]
COMPLETION_ROWS: list[dict[str, Any]] = [
    {"prompt": "Capital of France?", "completion": "Paris", "score": 1.5},
    {"prompt": "2+2", "completion": "4", "score": None},
    {"prompt": "Color of the sky?", "completion": "Blue", "score": 3.0},
]


def _completion_rows(n: int, *, label_every: int = 4) -> list[dict[str, Any]]:
    """``n`` completion rows with a ``label`` column (class ``a`` on every ``label_every``-th row)."""
    return [{"prompt": f"question {i}", "completion": f"answer {i}", "label": "a" if i % label_every == 0 else "b"}
            for i in range(n)]


def _files_under(root: Path) -> list[Path]:
    """Every file below ``root`` (none when it does not exist)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: list[Any], name: str = "data.jsonl", *, raw_lines: list[str] | None = None) -> Path:
        path = tmp_path / name
        lines = raw_lines if raw_lines is not None else [orjson.dumps(r).decode() for r in rows]
        path.write_text("".join(line + "\n" for line in lines))
        return path

    return write


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(header: list[str], rows: list[list[str]], name: str = "data.csv") -> Path:
        path = tmp_path / name
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def write_parquet(tmp_path: Path) -> Callable[..., Path]:
    def write(table: pa.Table | list[dict[str, Any]], name: str = "data.parquet") -> Path:
        path = tmp_path / name
        pq.write_table(table if isinstance(table, pa.Table) else pa.Table.from_pylist(table), path)
        return path

    return write


@pytest.fixture
def chat_rows() -> list[dict[str, Any]]:
    """Three valid chat rows (system, user, assistant and tool messages)."""
    return copy.deepcopy(CHAT_ROWS)


@pytest.fixture
def completion_rows() -> list[dict[str, Any]]:
    """Three valid completion rows with a float ``score`` column (one null)."""
    return copy.deepcopy(COMPLETION_ROWS)


@pytest.fixture
def many_rows() -> Callable[..., list[dict[str, Any]]]:
    """``many_rows(n)``: n completion rows with a two-class ``label`` column."""
    return _completion_rows


@pytest.fixture
def files_under() -> Callable[[Path], list[Path]]:
    """``files_under(root)``: every file below root."""
    return _files_under
