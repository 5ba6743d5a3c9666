"""Datasets on an artifact store that is not a local folder (GENLOOP_ARTIFACTS_URI=memory://..., as s3:// would
be): the same import, reads, export and split, and a failed import leaves no file behind there either."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from genloop import Client
from genloop.errors import InvalidInput
from genloop.settings import Settings
from genloop.store import Store


@pytest.fixture
def memory_store(tmp_path: Path, database_url: str) -> Iterator[Store]:
    uri = f"memory://genloop-{uuid.uuid4().hex[:8]}"
    store = Store(Settings(home=tmp_path / "home", database_url=database_url, artifacts_uri=uri, actor="tester"))
    yield store
    store.artifacts.fs.rm(store.artifacts.root, recursive=True)
    store.close()


def test_a_dataset_lives_on_an_fsspec_store(memory_store: Store, tmp_path: Path) -> None:
    assert not memory_store.artifacts.is_local
    rows = [{"prompt": f"q{i}", "completion": f"a{i}"} for i in range(40)]
    with Client(store=memory_store) as client:
        version = client.datasets.create("qa", rows, kind="completion")
        fs, root = memory_store.artifacts.fs, memory_store.artifacts.root
        assert fs.find(root) == [f"{root}/datasets/default/qa/1-{version.content_hash[7:19]}.parquet"]
        assert client.datasets.head("qa", 2) == rows[:2]
        assert client.datasets.read("qa").to_pylist() == rows
        assert [r["prompt"] for r in client.datasets.iter_rows("qa", batch_size=7)] == [r["prompt"] for r in rows]
        out = client.datasets.export("qa", tmp_path / "qa.jsonl")
        assert client.datasets.create("qa", out, kind="completion") == version  # same content, same version
        split = client.datasets.split("qa", test_size=10, seed=1)
        assert (split.train.num_rows, split.test.num_rows) == (30, 10)

        with pytest.raises(InvalidInput, match="row 41: field 'completion' is empty"):
            client.datasets.create("qa", [*rows, {"prompt": "x", "completion": ""}], kind="completion")
        assert len(fs.find(root)) == 3  # qa@1, qa-train@1, qa-test@1: nothing from the failed import
        assert client.datasets.versions("qa").total == 1
