"""Where a model version lives: checking its URI, and copying a local checkpoint into the artifact store."""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from genloop.errors import InvalidInput
from genloop.store import ArtifactStore

__all__ = [
    "check_base_url", "check_copyable", "check_uri", "copy_into_store", "is_local_uri", "local_files", "remove_written",
]

_PROVIDER_URI = re.compile(r"^[a-z][a-z0-9_-]*:[^\s/][^\s]*$")
_FILE_PROTOCOLS = {"file", "local"}


def is_local_uri(uri: str) -> bool:
    """True for a plain path or a ``file://`` URI (something this machine must be able to see)."""
    return "://" not in uri or uri.split("://", 1)[0].lower() in _FILE_PROTOCOLS


def check_uri(kind: str, uri: str) -> str:
    """Validate ``uri`` for ``kind`` and return it normalised (local paths made absolute)."""
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidInput(f"a {kind} model needs a URI", hint=_uri_hint(kind))
    uri = uri.strip()
    if len(uri) > 1024:
        raise InvalidInput(f"URI is {len(uri)} characters long; the registry keeps at most 1024", hint=_uri_hint(kind))
    if kind == "provider":
        if "://" in uri or not _PROVIDER_URI.fullmatch(uri):
            raise InvalidInput(f"provider model URI {uri!r} must look like 'provider:model'", hint=_uri_hint(kind))
        return uri
    if not is_local_uri(uri):
        import fsspec

        protocol = uri.split("://", 1)[0].lower()
        if protocol not in fsspec.available_protocols():
            raise InvalidInput(f"unknown storage protocol {protocol!r} in {uri!r}", hint=_uri_hint(kind))
        return uri
    path = Path(uri.split("://", 1)[1] if "://" in uri else uri).expanduser().absolute()
    if not path.exists():
        raise InvalidInput(f"{kind} path {str(path)!r} does not exist", hint=_uri_hint(kind))
    return str(path.resolve())


def _uri_hint(kind: str) -> str:
    if kind == "provider":
        return "write provider:model, e.g. openai:gpt-4o-mini or mock:echo"
    return "give an existing local folder or file, or an fsspec URI such as s3://bucket/model or hf://org/model"


def check_base_url(base_url: str) -> str:
    """A provider's base URL must be an absolute http(s) URL."""
    parsed = urlparse(base_url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise InvalidInput(f"invalid base URL {base_url!r}", hint="write an http(s) URL such as http://localhost:8000/v1")
    return base_url


def check_copyable(kind: str, uri: str) -> None:
    """``copy=True`` needs a local file or folder (not a provider model, not a remote URI)."""
    if kind == "provider" or not isinstance(uri, str) or not is_local_uri(uri):
        raise InvalidInput(f"cannot copy {uri!r} into the artifact store",
                           hint="copy works on a local folder or file; register a provider model or an fsspec URI "
                                "without copy")


def local_files(path: Path) -> list[tuple[str, Path]]:
    """``(relative POSIX path, file)`` of a file or of every file under a folder, sorted.

    Hidden entries (``.git``, ``.cache``, ``.gitattributes``) are version-control or cache state, not
    part of the model, and the artifact store refuses hidden key components, so they are skipped.
    """
    if path.is_file():
        return [(path.name, path)]
    files = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if not any(part.startswith(".") for part in rel.split("/")):
            files.append((rel, file))
    return files


def _digest(files: list[tuple[str, Path]]) -> str:
    outer = hashlib.sha256()
    for rel, file in files:
        inner = hashlib.sha256()
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                inner.update(chunk)
        outer.update(f"{rel}\0{inner.hexdigest()}\n".encode())
    return "sha256:" + outer.hexdigest()


def copy_into_store(artifacts: ArtifactStore, name: str, uri: str) -> tuple[str, dict[str, Any], list[str]]:
    """Copy the local file or folder ``uri`` under ``models/<name>/sha256-<digest>``.

    The key is content-addressed, so copying the same files twice stores them once and yields the same
    URI (which keeps registration dedupe working). Returns the new URI, metadata describing the copy, and the
    keys this call wrote (to remove again if the registration fails).
    Every key is checked before anything is written, so a bad file name leaves nothing behind.
    """
    check_copyable("checkpoint", uri)
    source = Path(uri.split("://", 1)[1] if "://" in uri else uri)
    files = local_files(source)
    if not files:
        raise InvalidInput(f"folder {uri!r} has no files to copy", hint="point at the checkpoint folder itself")
    digest = _digest(files)
    prefix = f"models/{name}/{digest.replace(':', '-')}"
    for rel, _ in files:
        artifacts.check_key(f"{prefix}/{rel}")
    # put_file per file rather than put_dir: put_dir would also copy the hidden files skipped above
    written: list[str] = []
    try:
        for rel, file in files:
            if not artifacts.exists(f"{prefix}/{rel}"):
                artifacts.put_file(file, f"{prefix}/{rel}")
                written.append(f"{prefix}/{rel}")
    except BaseException:
        remove_written(artifacts, written)  # a copy cut short (a dropped connection) leaves no orphan
        raise
    target = prefix if source.is_dir() else f"{prefix}/{files[0][0]}"
    size = sum(file.stat().st_size for _, file in files)
    meta = {"artifact_key": target, "content_digest": digest, "files": len(files), "size_bytes": size}
    return artifacts.url(target), meta, written


def remove_written(artifacts: ArtifactStore, keys: list[str]) -> None:
    """Delete the files a copy wrote (never ones that were there before it: the keys are content-addressed)."""
    for key in keys:
        with contextlib.suppress(Exception):
            artifacts.delete(key)
