"""DatasetService: create, read, export, split, tag and label dataset versions of one project."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.datasets._commit import DATASETS, Pending, commit_versions
from genloop.datasets._export import export_chunks, export_format, jsonable_rows
from genloop.datasets._import import VersionWriter, import_source
from genloop.datasets._kinds import kind_spec
from genloop.datasets._schemas import DatasetInfo, DatasetVersion, SplitResult
from genloop.datasets._sources import open_source
from genloop.datasets._split import choose_test_rows, count_test_rows, split_into
from genloop.datasets._tables import DatasetRow, DatasetVersionRow
from genloop.datasets._tags import check_tag, check_tags, update_tags
from genloop.datasets._views import summaries, to_schema
from genloop.errors import InvalidInput
from genloop.refs import parse_ref, validate_name
from genloop.store import Page, Store
from genloop.store._registry import find_project

__all__ = ["DatasetService", "check_batch_size", "check_head"]

MAX_HEAD = 10_000


class DatasetService:
    """Every dataset operation for one project; returns schemas and raises ``genloop.errors``."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    # -- creating ------------------------------------------------------------------------------

    def create(self, name: str, data: Any, *, kind: str | None = None, message: str = "",
               tags: list[str] | None = None, format: str | None = None, description: str | None = None,
               source_run_id: str | None = None, display: str | None = None) -> DatasetVersion:
        """Import ``data`` as a new version of dataset ``name``; identical content to the latest returns it.

        ``data``: a path (.jsonl, .csv, .parquet, or a ``save_to_disk`` folder), a list of dicts, a
        ``pyarrow.Table`` or a ``datasets.Dataset``. ``kind`` (chat, completion, preference, eval, generic;
        default the latest version's, else the kind the columns evidently are, else generic: see
        :func:`~genloop.datasets._kinds.infer_kind`) decides the validation. ``display`` names the data in
        error messages (default the file name).
        """
        return self.create_or_get(name, data, kind=kind, message=message, tags=tags, format=format,
                                  description=description, source_run_id=source_run_id, display=display)[0]

    def create_or_get(self, name: str, data: Any, *, kind: str | None = None, message: str = "",
                      tags: list[str] | None = None, format: str | None = None, description: str | None = None,
                      source_run_id: str | None = None, display: str | None = None) -> tuple[DatasetVersion, bool]:
        """Like :meth:`create`, and also whether a new version was written (the REST API answers 201 or 200)."""
        validate_name(name, "dataset name")
        tag_list = check_tags(tags)
        if source_run_id is not None and (not isinstance(source_run_id, str) or not 0 < len(source_run_id) <= 64):
            raise InvalidInput(f"invalid source_run_id {source_run_id!r}", hint="pass a run id")
        source = open_source(data, format=format, display=display)
        kind = kind or self._latest_kind(name) or _inferred_kind(source)
        spec = kind_spec(kind)
        written = import_source(source, spec, self._tmp_dir())
        pending = Pending(name=name, kind=kind, written=written, message=message, tags=tag_list,
                          description=description, source_run_id=source_run_id)
        return commit_versions(self.store, self.project, self.actor, [pending])[0]

    def split(self, ref: str, *, test_size: float = 0.2, seed: int = 42, stratify: str | None = None,
              train_name: str | None = None, test_name: str | None = None, message: str = "") -> SplitResult:
        """Split ``ref`` into new versions of ``NAME-train`` and ``NAME-test`` (or the names given).

        ``test_size`` is a fraction in (0, 1) or a row count. The same version, size, seed and ``stratify``
        column always give the same parts (rows keep their order within each); each part records the
        source, seed and sizes in ``transform``. Running it again returns the existing versions.
        """
        version, key = self._resolve(ref)
        train_name = validate_name(train_name or f"{version.name}-train", "dataset name")
        test_name = validate_name(test_name or f"{version.name}-test", "dataset name")
        if train_name == test_name:
            raise InvalidInput(f"train and test parts would both be {train_name!r}", hint="give two different names")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise InvalidInput(f"seed must be a non-negative integer, got {seed!r}")
        count = count_test_rows(version.num_rows, test_size)
        with self._parquet(key) as parquet:
            strata = None
            if stratify is not None:
                version.require_columns([stratify])
                strata = parquet.read(columns=[stratify]).column(stratify)
            mask = choose_test_rows(version.num_rows, count, seed, strata)
            train, test = VersionWriter(self._tmp_dir(), version.kind), VersionWriter(self._tmp_dir(), version.kind)
            try:
                split_into(parquet.iter_batches(batch_size=65_536), mask, train, test)
                parts = [train.close(), test.close()]
            except BaseException:
                train.abort()
                test.abort()
                raise
        sizes = {"train": parts[0].num_rows, "test": parts[1].num_rows}
        pending = []
        for part, name, written in (("train", train_name, parts[0]), ("test", test_name, parts[1])):
            transform = {"op": "split", "source": version.ref, "part": part, "seed": seed, "test_size": test_size,
                         "stratify": stratify, "rows": sizes}
            pending.append(Pending(
                name=name, kind=version.kind, written=written, transform=transform,
                message=message or f"{part} part of {version.ref} (seed {seed}, {sizes['test']} test rows)",
                parent_version=version.version if name == version.name else None,
            ))
        (train_version, _), (test_version, _) = commit_versions(self.store, self.project, self.actor, pending)
        return SplitResult(train=train_version, test=test_version)

    # -- tags and labels -----------------------------------------------------------------------

    def tag(self, ref: str, tag: str) -> DatasetVersion:
        """Add ``tag`` (``golden``, ``few-shot``, ``sft``...) to the version ``ref`` points at (audited)."""
        return self._retag(ref, check_tag(tag), add=True)

    def untag(self, ref: str, tag: str) -> DatasetVersion:
        """Remove ``tag`` from the version ``ref`` points at (audited)."""
        return self._retag(ref, check_tag(tag), add=False)

    def _retag(self, ref: str, tag: str, *, add: bool) -> DatasetVersion:
        def write(session: Session) -> DatasetVersion:
            project, parent, row = DATASETS.resolve(session, self.project, ref)
            update_tags(session, project, self.actor, parent.name, row, tag, add=add)
            return to_schema(session, self.project, parent.name, row)

        result = self.store.db.write(write)
        self.store.cache.invalidate("dataset", self.project)
        return result

    def label(self, ref: str, label: str) -> DatasetVersion:
        """Point ``label`` (``production``, ``golden``...) at the version ``ref`` resolves to (audited)."""
        def write(session: Session) -> DatasetVersion:
            row, _ = DATASETS.set_label(session, self.project, ref, label, self.actor)
            return to_schema(session, self.project, parse_ref(ref).name, row)

        result = self.store.db.write(write)
        self.store.cache.invalidate("dataset", self.project)
        return result

    def unlabel(self, name: str, label: str) -> None:
        """Remove ``label`` from dataset ``name`` (audited)."""
        plain = parse_ref(name).name
        self.store.db.write(lambda session: DATASETS.delete_label(session, self.project, plain, label, self.actor))
        self.store.cache.invalidate("dataset", self.project)

    # -- reading -------------------------------------------------------------------------------

    def get(self, ref: str) -> DatasetVersion:
        """The version ``ref`` points at (``NAME``, ``NAME@7``, ``NAME@label``)."""
        return self._resolve(ref)[0]

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[DatasetVersion]:
        """Versions of dataset ``name``, newest first."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            rows, total = DATASETS.list_versions(session, self.project, name, offset, limit)
            labels = DATASETS.labels(session, DATASETS.project(session, self.project), name)
            items = [to_schema(session, self.project, name, row, labels) for row in rows]
        return Page.build(items, total, offset, limit)

    def head(self, ref: str, n: int = 10) -> list[dict[str, Any]]:
        """The first ``n`` rows (at most 10,000) as JSON-like dicts (timestamps as ISO text)."""
        check_head(n)
        _, key = self._resolve(ref)
        if n == 0:
            return []
        rows: list[dict[str, Any]] = []
        with self._parquet(key) as parquet:
            for batch in parquet.iter_batches(batch_size=n):  # a batch may end early at a row-group boundary
                rows.extend(batch.slice(0, n - len(rows)).to_pylist())
                if len(rows) >= n:
                    break
        return jsonable_rows(rows)

    def read(self, ref: str, *, columns: list[str] | None = None) -> pa.Table:
        """The whole version as a ``pyarrow.Table`` (``columns``: only these)."""
        version, key = self._resolve(ref)
        version.require_columns(columns)
        with self._parquet(key) as parquet:
            return parquet.read(columns=columns)

    def iter_batches(self, ref: str, *, batch_size: int = 1000,
                     columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Stream the version as record batches of at most ``batch_size`` rows, without loading it all."""
        version, key = self._resolve(ref)
        version.require_columns(columns)
        check_batch_size(batch_size)
        return self._batches(key, batch_size, columns)

    def _batches(self, key: str, batch_size: int, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
        with self._parquet(key) as parquet:
            yield from parquet.iter_batches(batch_size=batch_size, columns=columns)

    def iter_rows(self, ref: str, *, batch_size: int = 1000,
                  columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
        """Stream the rows as dicts, reading ``batch_size`` rows at a time (for evaluation and tuning)."""
        for batch in self.iter_batches(ref, batch_size=batch_size, columns=columns):
            yield from batch.to_pylist()

    def content(self, ref: str, *, format: str = "parquet") -> Iterator[bytes]:
        """The version's bytes as ``format`` (parquet, jsonl or csv), in chunks of about 1 MiB."""
        fmt = export_format(None, format)
        _, key = self._resolve(ref)
        return self._content(key, fmt)

    def _content(self, key: str, fmt: str) -> Iterator[bytes]:
        with self.store.artifacts.open(key) as file:
            yield from export_chunks(file, fmt)

    def export(self, ref: str, path: str | Path, *, format: str | None = None) -> Path:
        """Write the version to ``path`` as JSON Lines, CSV or Parquet (default from the extension)."""
        target = Path(path).expanduser()
        chunks = self.content(ref, format=export_format(target, format))
        tmp = target.with_name(f".{target.name}.partial")
        try:
            with open(tmp, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return target

    @contextlib.contextmanager
    def local_path(self, ref: str) -> Iterator[Path]:
        """A local path of the version's Parquet file, for engines that open it themselves (read-only)."""
        _, key = self._resolve(ref)
        with self.store.artifacts.local_copy(key) as path:
            yield Path(path)

    # defined last: inside the class body, the name ``list`` would shadow the builtin in later annotations
    def list(self, *, offset: int = 0, limit: int = 50) -> Page[DatasetInfo]:
        """Datasets of the project, by name, each summarised by its latest version."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            parents, total = DATASETS.list_parents(session, self.project, offset, limit)
            items = summaries(session, parents)
        return Page.build(items, total, offset, limit)

    # -- helpers -------------------------------------------------------------------------------

    def _resolve(self, ref: str) -> tuple[DatasetVersion, str]:
        parsed = parse_ref(ref)
        cache_key = ("dataset", self.project, str(parsed))
        hit = self.store.cache.get(cache_key)
        if not self.store.cache.is_missing(hit):
            return hit  # type: ignore[no-any-return]
        with self.store.db.read() as session:
            _, parent, row = DATASETS.resolve(session, self.project, parsed)
            found = (to_schema(session, self.project, parent.name, row), row.artifact_key)
        self.store.cache.put(cache_key, found)
        return found

    def _latest_kind(self, name: str) -> str | None:
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return None
            return session.scalar(
                select(DatasetVersionRow.kind).join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                .where(DatasetRow.project_id == project.id, DatasetRow.name == name)
                .order_by(DatasetVersionRow.version.desc()).limit(1)
            )

    def _tmp_dir(self) -> Path:
        return self.store.settings.resolved_home / "tmp" / "datasets"

    @contextlib.contextmanager
    def _parquet(self, key: str) -> Iterator[pq.ParquetFile]:
        artifacts = self.store.artifacts
        if artifacts.is_local:
            if not artifacts.exists(key):
                artifacts.open(key)  # raises NotFound with its hint
            with pq.ParquetFile(artifacts.path(key)) as parquet:
                yield parquet
            return
        with artifacts.open(key) as file, pq.ParquetFile(file) as parquet:
            yield parquet


def check_head(n: int) -> None:
    """``n`` rows for :meth:`DatasetService.head`: 0 to 10,000."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_HEAD:
        raise InvalidInput(f"n must be between 0 and {MAX_HEAD}, got {n!r}", hint="use iter_rows for more rows")


def check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidInput(f"batch_size must be a positive integer, got {batch_size!r}")


def _inferred_kind(source: Any) -> str:
    """The kind the first batch's columns evidently are (``generic`` when unclear or unreadable here: the
    import reports a malformed file itself)."""
    from genloop.datasets._kinds import KIND_SPECS, infer_kind
    from genloop.errors import GenLoopError

    try:
        first = next(iter(source.batches(KIND_SPECS["generic"])), None)
    except (GenLoopError, ValueError, OSError):
        return "generic"
    return infer_kind(first.schema.names) if first is not None else "generic"
