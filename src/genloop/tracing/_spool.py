"""The durable spool: every trace is appended to a file before its response completes.

Each writing process owns a folder ``<spool>/<owner>/`` holding a lock file (``flock``-ed for the
life of the process) and numbered segment files of JSON lines. A segment is deleted only after every
trace in it has committed to the store. On start, a process replays the folders whose owner is gone
(the lock can be taken), so a crash loses no trace that reached the spool.

Appending costs no system call: a segment is a file mapped into memory (``MAP_SHARED``), and a trace
is copied into the mapping. The pages belong to the kernel's page cache, so they reach the file even
if the process is killed the next instant; ``fsync=True`` also flushes them to disk (``msync``) on
every append, to survive power loss. A crash leaves a segment's unused tail as zeros, which readers
skip, along with a line torn mid-copy.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

__all__ = ["Spool", "closed_segments", "dead_letter_count", "orphaned_records", "read_segment", "segment_files"]

SEGMENT_BYTES = 8 << 20
NEXT_SUFFIX = ".next"  # a segment made ready off the hot path; renamed to .jsonl once the one before it is closed


class Prepared:
    """A next segment created and mapped ahead of time (:meth:`Spool.prepare`): file, mapping, number."""

    __slots__ = ("fd", "map", "number", "path", "size")

    def __init__(self, number: int, path: Path, fd: int, size: int) -> None:
        self.number, self.path, self.fd, self.size = number, path, fd, size
        self.map = mmap.mmap(fd, size)

    def drop(self) -> None:
        self.map.close()
        os.close(self.fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class Spool:
    """This process's spool folder: append records to the active segment; rotate; delete committed segments."""

    def __init__(self, root: Path, *, fsync: bool = False, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.root = root
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        root.mkdir(parents=True, exist_ok=True)
        self.dir = root / f"{socket.gethostname()[:32]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.dir.mkdir()
        self._lock_fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.segment = 0
        self.active_count = 0
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._size = 0
        self._used = 0
        self.rotate()

    def append(self, line: bytes) -> int:
        """Copy one JSON line into the active segment; return the segment number."""
        if self._used + len(line) > self._size:
            self.rotate(min_bytes=len(line))
        assert self._map is not None
        end = self._used + len(line)
        self._map[self._used:end] = line
        self._used = end
        if self.fsync:
            self._map.flush()
        self.active_count += 1
        return self.segment

    def rotate(self, min_bytes: int = 0) -> int:
        """Close the active segment and start the next; return the number of the one closed."""
        closed = self.segment
        self._close_segment()
        self.segment += 1
        self.active_count = 0
        self._size = max(self.segment_bytes, min_bytes)
        self._used = 0
        self._fd = os.open(self._path(self.segment), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.ftruncate(self._fd, self._size)
        self._map = mmap.mmap(self._fd, self._size)
        return closed

    # -- rotation in three steps, so that a caller's lock is held only for the swap --------------------------

    def prepare(self) -> Prepared:
        """Create and map the next segment (named ``*.next`` until :meth:`finish`); no lock needed."""
        number = self.segment + 1
        path = self.dir / f"seg-{number:08d}.jsonl{NEXT_SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.ftruncate(fd, self.segment_bytes)
        return Prepared(number, path, fd, self.segment_bytes)

    def swap(self, ready: Prepared) -> tuple[int, int, mmap.mmap | None, int] | None:
        """Make ``ready`` the active segment (under the caller's lock: no system call here); return the closed one
        as ``(number, fd, mapping, used)`` for :meth:`finish`, or None when ``ready`` is stale (drop it)."""
        if ready.number != self.segment + 1:
            return None
        old = (self.segment, self._fd, self._map, self._used)
        self.segment, self._fd, self._map, self._size, self._used = ready.number, ready.fd, ready.map, ready.size, 0
        self.active_count = 0
        return old

    def finish(self, old: tuple[int, int, mmap.mmap | None, int], ready: Prepared) -> None:
        """Close the swapped-out segment (unmap, drop its zero tail), then give the new one its final name.

        Until the rename the new segment is not the newest ``*.jsonl``, so a writer process does not take the
        old one before it is closed; a crash in between leaves a ``*.next`` file, which replay reads too.
        """
        _number, fd, old_map, used = old
        if old_map is not None:
            old_map.close()
        if fd >= 0:
            os.ftruncate(fd, used)
            os.close(fd)
        os.rename(ready.path, self._path(ready.number))

    def _close_segment(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd >= 0:
            os.ftruncate(self._fd, self._used)  # drop the unused tail of a cleanly closed segment
            os.close(self._fd)
            self._fd = -1

    def read(self, segment: int) -> list[dict[str, Any]]:
        return list(_records(self._path(segment)))

    def discard(self, segment: int) -> None:
        """Delete a segment whose traces have all committed."""
        try:
            os.unlink(self._path(segment))
        except FileNotFoundError:
            pass

    def close(self, *, remove: bool) -> None:
        """Release the spool; ``remove`` deletes the folder (only when everything committed)."""
        self._close_segment()
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)
        os.close(self._lock_fd)

    def has_segment(self, segment: int) -> bool:
        """Whether segment ``segment`` is still on disk (a writer process deletes it once written)."""
        path = self._path(segment)
        return path.exists() or path.with_name(path.name + NEXT_SUFFIX).exists()

    def _path(self, segment: int) -> Path:
        return self.dir / f"seg-{segment:08d}.jsonl"


def closed_segments(folder: Path) -> list[Path]:
    """The segments of a live owner's folder that it will not append to again: all but the newest.

    An owner closes (truncates and unmaps) a segment before it creates the next one, so every segment older
    than the newest file is complete.
    """
    segments = sorted(folder.glob("seg-*.jsonl"))
    return segments[:-1]


def segment_files(folder: Path) -> list[Path]:
    """Every segment file of a folder, in order, including a ``*.next`` one a crash left mid-rotation."""
    return sorted([*folder.glob("seg-*.jsonl"), *folder.glob(f"seg-*.jsonl{NEXT_SUFFIX}")])


def read_segment(path: Path) -> list[dict[str, Any]]:
    """The records of one segment file (torn lines and a zero tail skipped)."""
    return list(_records(path))


def dead_letter_count(path: Path) -> int:
    """Lines in a dead-letter file (0 when there is none)."""
    try:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    except FileNotFoundError:
        return 0


def orphaned_records(root: Path, own: Path | None = None) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """Folders under ``root`` whose owner process is gone, each with its records (torn lines skipped).

    The caller deletes a folder (``shutil.rmtree``) after its records are committed; while the caller
    holds it, the folder's lock is held, so two processes never replay the same folder.
    """
    if not root.is_dir():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p != own):
        try:
            fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # its owner is alive
            continue
        try:
            records: list[dict[str, Any]] = []
            for segment in segment_files(folder):
                records.extend(_records(segment))
            yield folder, records
        finally:
            os.close(fd)


def _records(path: Path) -> Iterator[dict[str, Any]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    for line in data.split(b"\n"):
        line = line.strip(b"\x00 \r\t")
        if not line:
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a line torn by a crash mid-copy
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            yield record
