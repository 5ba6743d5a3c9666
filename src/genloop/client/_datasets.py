"""REST twin of :class:`genloop.datasets.DatasetService`: same methods, same schemas, same exceptions.

Uploads stream from disk as multipart (a list of dicts is sent as JSON Lines, Arrow data as Parquet;
see ``genloop.datasets._upload``); downloads stream to disk. ``read`` and ``iter_batches`` download
the version's Parquet file to a temporary file and read it there.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from genloop.client._http import HttpTransport
from genloop.datasets import DatasetInfo, DatasetVersion, SplitResult
from genloop.datasets._export import export_format
from genloop.datasets._service import check_batch_size, check_head
from genloop.datasets._tags import check_tags
from genloop.datasets._upload import upload_for
from genloop.refs import parse_ref, validate_name
from genloop.store import Page, Store

__all__ = ["RemoteDatasets"]

_LONG = httpx.Timeout(60.0, read=3600.0)  # an import or a split of a large file takes a while


class RemoteDatasets:
    """The datasets of one project on a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    def _path(self, *parts: str) -> str:
        return "/".join([f"/projects/{self.project}/datasets", *(quote(str(p), safe="") for p in parts)])

    # -- creating ------------------------------------------------------------------------------

    def create(self, name: str, data: Any, *, kind: str | None = None, message: str = "",
               tags: list[str] | None = None, format: str | None = None, description: str | None = None,
               source_run_id: str | None = None, display: str | None = None) -> DatasetVersion:
        """See :meth:`genloop.datasets.DatasetService.create`; files are uploaded, streamed from disk."""
        return self.create_or_get(name, data, kind=kind, message=message, tags=tags, format=format,
                                  description=description, source_run_id=source_run_id, display=display)[0]

    def create_or_get(self, name: str, data: Any, *, kind: str | None = None, message: str = "",
                      tags: list[str] | None = None, format: str | None = None, description: str | None = None,
                      source_run_id: str | None = None, display: str | None = None) -> tuple[DatasetVersion, bool]:
        """Like :meth:`create`, and also whether a new version was written."""
        validate_name(name, "dataset name")
        fields = {"message": message or "", "tags": ",".join(check_tags(tags))}
        for key, value in (("kind", kind), ("description", description), ("source_run_id", source_run_id)):
            if value is not None:
                fields[key] = value
        with upload_for(data, format=format, display=display) as upload, contextlib.ExitStack() as stack:
            fields.update(format=upload.format, display=upload.display)
            content = upload.content if isinstance(upload.content, bytes) else stack.enter_context(
                open(upload.content, "rb"))
            files = {"file": (upload.filename, content, "application/octet-stream")}
            return self._post_created(self._path(name, "versions"), data=fields, files=files)

    def _post_created(self, path: str, **kwargs: Any) -> tuple[DatasetVersion, bool]:
        status, payload = self._http.request_with_status("POST", path, timeout=_LONG, **kwargs)
        return DatasetVersion.model_validate(payload), status == 201

    def split(self, ref: str, *, test_size: float = 0.2, seed: int = 42, stratify: str | None = None,
              train_name: str | None = None, test_name: str | None = None, message: str = "") -> SplitResult:
        """See :meth:`genloop.datasets.DatasetService.split`."""
        body = {"test_size": test_size, "seed": seed, "stratify": stratify, "train_name": train_name,
                "test_name": test_name, "message": message}
        return self._http.post_as(SplitResult, self._path(str(ref), "split"), json=body, timeout=_LONG)

    # -- tags and labels -----------------------------------------------------------------------

    def tag(self, ref: str, tag: str) -> DatasetVersion:
        """Add ``tag`` to the version ``ref`` points at."""
        return self._http.post_as(DatasetVersion, self._path(str(ref), "tags"), json={"tag": tag})

    def untag(self, ref: str, tag: str) -> DatasetVersion:
        """Remove ``tag`` from the version ``ref`` points at."""
        return DatasetVersion.model_validate(self._http.request("DELETE", self._path(str(ref), "tags", tag)))

    def label(self, ref: str, label: str) -> DatasetVersion:
        """Point ``label`` at the version ``ref`` resolves to."""
        return self._http.put_as(DatasetVersion, self._path(str(ref), "labels", label))

    def unlabel(self, name: str, label: str) -> None:
        """Remove ``label`` from dataset ``name``."""
        self._http.request("DELETE", self._path(parse_ref(name).name, "labels", label))

    # -- reading -------------------------------------------------------------------------------

    def get(self, ref: str) -> DatasetVersion:
        """The version ``ref`` points at."""
        return self._http.get_as(DatasetVersion, self._path(str(parse_ref(ref))))

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[DatasetVersion]:
        """Versions of dataset ``name``, newest first."""
        offset, limit = Store.page_bounds(offset, limit)  # the service's check, without a round trip
        return self._http.get_as(Page[DatasetVersion], self._path(name, "versions"),
                                 params={"offset": offset, "limit": limit})

    def head(self, ref: str, n: int = 10) -> list[dict[str, Any]]:
        """The first ``n`` rows."""
        check_head(n)
        return self._http.get_as(list[dict[str, Any]], self._path(str(parse_ref(ref)), "head"), params={"n": n})

    def read(self, ref: str, *, columns: list[str] | None = None) -> pa.Table:
        """The whole version as a ``pyarrow.Table`` (downloaded as Parquet)."""
        version = self.get(ref)
        version.require_columns(columns)
        with self._downloaded(version) as path:
            return pq.read_table(path, columns=columns)

    def iter_batches(self, ref: str, *, batch_size: int = 1000,
                     columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Stream record batches (the Parquet file is downloaded to a temporary file first)."""
        version = self.get(ref)
        version.require_columns(columns)
        check_batch_size(batch_size)
        return self._batches(version, batch_size, columns)

    def _batches(self, version: DatasetVersion, batch_size: int, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
        with self._downloaded(version) as path, pq.ParquetFile(path) as parquet:
            yield from parquet.iter_batches(batch_size=batch_size, columns=columns)

    def iter_rows(self, ref: str, *, batch_size: int = 1000,
                  columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
        """Stream the rows as dicts."""
        for batch in self.iter_batches(ref, batch_size=batch_size, columns=columns):
            yield from batch.to_pylist()

    def content(self, ref: str, *, format: str = "parquet") -> Iterator[bytes]:
        """The version's bytes as ``format`` (parquet, jsonl or csv), downloaded to a temporary file first."""
        fmt = export_format(None, format)
        version = self.get(ref)
        return self._stream(self._path(version.name, "versions", str(version.version), "content"), fmt)

    def _stream(self, path: str, fmt: str) -> Iterator[bytes]:
        with tempfile.TemporaryFile() as tmp:
            self._http.stream_to(path, tmp, params={"format": fmt}, timeout=_LONG)
            tmp.seek(0)
            while chunk := tmp.read(1 << 20):
                yield chunk

    def export(self, ref: str, path: str | Path, *, format: str | None = None) -> Path:
        """Download the version to ``path`` as JSON Lines, CSV or Parquet (default from the extension)."""
        target = Path(path).expanduser()
        fmt = export_format(target, format)
        version = self.get(ref)
        tmp = target.with_name(f".{target.name}.partial")
        try:
            with open(tmp, "wb") as out:
                self._http.stream_to(self._path(version.name, "versions", str(version.version), "content"), out,
                                     params={"format": fmt}, timeout=_LONG)
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return target

    @contextlib.contextmanager
    def local_path(self, ref: str) -> Iterator[Path]:
        """A local copy of the version's Parquet file, removed when the block ends."""
        with self._downloaded(self.get(ref)) as path:
            yield path

    # defined late: inside the class body, the name ``list`` would shadow the builtin in later annotations
    def list(self, *, offset: int = 0, limit: int = 50) -> Page[DatasetInfo]:
        """Datasets of the project, by name."""
        offset, limit = Store.page_bounds(offset, limit)  # the service's check, without a round trip
        return self._http.get_as(Page[DatasetInfo], self._path(), params={"offset": offset, "limit": limit})

    @contextlib.contextmanager
    def _downloaded(self, version: DatasetVersion) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="genloop-dataset-") as tmp:
            path = Path(tmp) / f"{version.name}-{version.version}.parquet"
            with open(path, "wb") as out:
                self._http.stream_to(self._path(version.name, "versions", str(version.version), "content"), out,
                                     params={"format": "parquet"}, timeout=_LONG)
            yield path
