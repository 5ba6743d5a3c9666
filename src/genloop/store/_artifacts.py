"""The artifact half of the store: immutable files under one root, on any fsspec filesystem.

Keys are relative POSIX paths built from validated names; a key can never escape the root
(no absolute paths, no ``..``, no empty or hidden components). Writes go to a temporary key and
are moved into place, so a reader never sees half a file and a failed write leaves no orphan.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import fsspec
from fsspec.core import url_to_fs

from genloop.errors import InvalidInput, NotFound

__all__ = ["ArtifactStore"]

_COMPONENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._=-]{0,254}$")


class ArtifactStore:
    """Files addressed by key under ``uri`` (a local folder, ``file://``, ``s3://bucket/prefix``...)."""

    def __init__(self, uri: str, **storage_options: Any) -> None:
        self.uri = uri
        self.fs, root = url_to_fs(uri, **storage_options)
        self.is_local = "file" in _protocols(self.fs)
        if self.is_local:
            root = os.path.abspath(os.path.expanduser(root))
            os.makedirs(root, exist_ok=True)
        self.root = root.rstrip("/")

    # -- keys ----------------------------------------------------------------------------------

    @staticmethod
    def check_key(key: str) -> str:
        """Return ``key`` if it is a safe relative key, else raise :class:`InvalidInput`."""
        if not isinstance(key, str) or not key or key.startswith("/") or "\\" in key:
            raise InvalidInput(f"invalid artifact key {key!r}", hint="keys are relative paths like 'datasets/x/1.parquet'")
        for part in key.split("/"):
            if part in {"", ".", ".."} or not _COMPONENT.fullmatch(part):
                raise InvalidInput(
                    f"invalid artifact key {key!r}: component {part!r} is not allowed",
                    hint="use letters, digits, '.', '_', '=', '-' in each path component; no '..'",
                )
        return key

    def path(self, key: str) -> str:
        """The filesystem path of ``key`` (on ``self.fs``)."""
        return f"{self.root}/{self.check_key(key)}"

    def url(self, key: str) -> str:
        """A URL for ``key`` that fsspec (and pyarrow) can open."""
        path = self.path(key)
        return path if self.is_local else self.fs.unstrip_protocol(path)

    # -- operations ----------------------------------------------------------------------------

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self.path(key)))

    def put_file(self, local_path: str | Path, key: str) -> str:
        """Copy a local file into the store under ``key``, atomically; return the key."""
        target = self.path(key)
        tmp = f"{target}.tmp-{uuid.uuid4().hex}"
        parent = target.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        try:
            if self.is_local:
                import shutil

                shutil.copyfile(local_path, tmp)
                os.replace(tmp, target)
            else:
                self.fs.put_file(str(local_path), target)
        except BaseException:
            with contextlib.suppress(Exception):
                self.fs.rm(tmp)
            raise
        return key

    def move_in(self, local_path: str | Path, key: str) -> str:
        """Like :meth:`put_file` but moves a local temporary file (cheap on a local store)."""
        if self.is_local:
            target = self.path(key)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                os.replace(local_path, target)
                return key
            except OSError:  # another device: fall back to a copy
                pass
        self.put_file(local_path, key)
        with contextlib.suppress(OSError):
            os.unlink(local_path)
        return key

    def put_dir(self, local_dir: str | Path, prefix: str) -> str:
        """Copy a local folder (a model checkpoint, say) under ``prefix``; return the prefix."""
        base = Path(local_dir)
        for file in sorted(p for p in base.rglob("*") if p.is_file()):
            rel = file.relative_to(base).as_posix()
            self.put_file(file, f"{prefix}/{rel}")
        return prefix

    def open(self, key: str, mode: str = "rb") -> IO[Any]:
        if "r" in mode and not self.exists(key):
            raise NotFound(f"artifact {key!r} is missing from {self.uri}", hint="the store may have been edited by hand")
        return self.fs.open(self.path(key), mode)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[str]:
        """A local filesystem path holding the artifact (the file itself on a local store)."""
        if self.is_local:
            yield self.path(key)
            return
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            dest = os.path.join(tmp, key.rsplit("/", 1)[-1])
            self.fs.get(self.path(key), dest, recursive=True)
            yield dest

    def delete(self, key: str) -> None:
        path = self.path(key)
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def open_url(self, key: str) -> fsspec.core.OpenFile:
        return fsspec.open(self.url(key))


def _protocols(fs: Any) -> set[str]:
    protocol = fs.protocol
    return set(protocol) if isinstance(protocol, (tuple, list)) else {protocol}
