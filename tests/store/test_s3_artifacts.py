"""Artifacts on a real S3 API server (moto's server mode on loopback), as a team's S3 or MinIO would hold them.

Dataset versions and model files go through s3fs exactly as in production; failures mid-upload leave no
object behind and no half version in the registry.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import free_port

from genloop import Client
from genloop.errors import InvalidInput
from genloop.settings import Settings
from genloop.store import Store

moto_server = pytest.importorskip("moto.server", reason="the S3 tests need moto's server: pip install 'moto[server]'")
pytest.importorskip("s3fs", reason="S3 artifacts need the s3 extra: pip install 'genloop[s3]'")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port, for this module."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    import boto3

    for key, value in {"AWS_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    bucket = f"genloop-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    store = Store(Settings(home=tmp_path / "home", database_url=database_url, artifacts_uri=f"s3://{bucket}/team",
                           actor="tester"))
    yield store
    store.close()


def _objects(store: Store) -> list[str]:
    store.artifacts.fs.invalidate_cache()
    return sorted(store.artifacts.fs.find(store.artifacts.root))


def test_dataset_versions_live_on_s3(s3_store: Store, tmp_path: Path) -> None:
    assert not s3_store.artifacts.is_local
    rows = [{"prompt": f"q{i}", "completion": f"a{i}"} for i in range(50)]
    with Client(store=s3_store) as client:
        version = client.datasets.create("qa", rows, kind="completion")
        assert _objects(s3_store) == [f"{s3_store.artifacts.root}/datasets/default/qa/"
                                      f"1-{version.content_hash[7:19]}.parquet"]
        assert client.datasets.head("qa", 3) == rows[:3]
        assert client.datasets.read("qa").to_pylist() == rows
        out = client.datasets.export("qa", tmp_path / "qa.jsonl")
        assert client.datasets.create("qa", out, kind="completion") == version  # same content, same version
        split = client.datasets.split("qa", test_size=10, seed=1)
        assert (split.train.num_rows, split.test.num_rows) == (40, 10)
        assert len(_objects(s3_store)) == 3

        # a failed import (a bad row after 50 good ones) leaves no object and no version behind
        with pytest.raises(InvalidInput, match="row 51"):
            client.datasets.create("qa", [*rows, {"prompt": "x", "completion": ""}], kind="completion")
        assert len(_objects(s3_store)) == 3
        assert client.datasets.versions("qa").total == 1


def _checkpoint(folder: Path, files: int = 4) -> Path:
    folder.mkdir(parents=True)
    for i in range(files):
        (folder / f"shard-{i}.bin").write_bytes(bytes([i]) * (1000 + i))
    (folder / "config.json").write_text('{"model_type": "tiny"}')
    return folder


def test_model_files_are_copied_to_s3_and_read_back(s3_store: Store, tmp_path: Path) -> None:
    ckpt = _checkpoint(tmp_path / "ckpt")
    with Client(store=s3_store) as client:
        version = client.models.register("tiny", kind="checkpoint", uri=str(ckpt), copy=True)
        assert version.uri.startswith("s3://")
        keys = [k.rsplit("/", 1)[-1] for k in _objects(s3_store)]
        assert sorted(keys) == ["config.json", "shard-0.bin", "shard-1.bin", "shard-2.bin", "shard-3.bin"]
        prefix = version.metadata["artifact_key"]
        with s3_store.artifacts.local_copy(prefix) as local:
            assert (Path(local) / "shard-2.bin").read_bytes() == bytes([2]) * 1002
        # registering the same files again stores nothing new and returns the same version
        assert client.models.register("tiny", kind="checkpoint", uri=str(ckpt), copy=True) == version
        assert len(_objects(s3_store)) == 5


def test_a_failure_mid_upload_leaves_no_object_and_no_version(s3_store: Store, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ckpt = _checkpoint(tmp_path / "ckpt", files=5)
    real_put = s3_store.artifacts.fs.put_file
    calls = {"n": 0}

    def flaky_put(lpath: str, rpath: str, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 4:  # the connection drops after three objects were written
            raise ConnectionResetError("connection reset by peer")
        return real_put(lpath, rpath, **kwargs)

    monkeypatch.setattr(s3_store.artifacts.fs, "put_file", flaky_put)
    with Client(store=s3_store) as client:
        with pytest.raises(ConnectionResetError):
            client.models.register("tiny", kind="checkpoint", uri=str(ckpt), copy=True)
        assert _objects(s3_store) == []  # the three objects already written were removed
        assert client.models.list().total == 0
        monkeypatch.setattr(s3_store.artifacts.fs, "put_file", real_put)
        version = client.models.register("tiny", kind="checkpoint", uri=str(ckpt), copy=True)
        assert version.version == 1 and len(_objects(s3_store)) == 6
