"""REST twin of :class:`genloop.models.ModelService`: same methods, same schemas, same exceptions."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.errors import InvalidInput
from genloop.models import MODEL_KINDS, ModelDetail, ModelInfo, ModelVersion, StatusChange
from genloop.models._files import check_copyable, check_uri, is_local_uri, local_files
from genloop.refs import Ref, parse_ref, validate_name
from genloop.store import Page, RefCache, Store

__all__ = ["RemoteModels"]


class RemoteModels:
    """The model registry of one project on a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default", *, cache_ttl: float | None = None) -> None:
        if cache_ttl is None:
            from genloop.settings import Settings

            cache_ttl = Settings().cache_ttl
        self._http = http
        self.project = project
        self._cache = RefCache(cache_ttl)

    def _path(self, *parts: str) -> str:
        return "/".join([f"/projects/{self.project}/models", *(quote(p, safe="") for p in parts)])

    def register(
        self,
        name: str,
        *,
        kind: str,
        uri: str,
        base: str | None = None,
        base_url: str | None = None,
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        description: str = "",
        source_run_id: str | None = None,
        copy: bool = False,
    ) -> ModelVersion:
        """See :meth:`genloop.models.ModelService.register`; ``copy=True`` uploads the local files."""
        return self.register_or_get(
            name, kind=kind, uri=uri, base=base, base_url=base_url, config=config, metadata=metadata,
            description=description, source_run_id=source_run_id, copy=copy,
        )[0]

    def register_or_get(
        self,
        name: str,
        *,
        kind: str,
        uri: str,
        base: str | None = None,
        base_url: str | None = None,
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        description: str = "",
        source_run_id: str | None = None,
        copy: bool = False,
    ) -> tuple[ModelVersion, bool]:
        """See :meth:`genloop.models.ModelService.register_or_get`."""
        validate_name(name, "model name")
        body: dict[str, Any] = {"kind": kind, "uri": uri, "base": base, "base_url": base_url, "config": config,
                                "metadata": metadata, "description": description, "source_run_id": source_run_id}
        if kind in MODEL_KINDS and kind != "provider" and isinstance(uri, str) and uri and is_local_uri(uri):
            # a relative path means the caller's working directory, not the server's
            body["uri"] = uri = str(Path(uri.split("://", 1)[-1]).expanduser().absolute())
        if not copy:
            return self._post_version(self._path(name, "versions"), json=body)
        if kind not in MODEL_KINDS:
            raise InvalidInput(f"invalid model kind {kind!r}", hint=f"use one of: {', '.join(MODEL_KINDS)}")
        check_copyable(kind, uri)
        source = Path(check_uri(kind, uri))
        files = local_files(source)
        if not files:
            raise InvalidInput(f"folder {str(source)!r} has no files to copy",
                               hint="point at the checkpoint folder itself")
        body.update(source_uri=str(source), is_file=source.is_file())
        with contextlib.ExitStack() as stack:
            parts = [("files", (f"f{i}", stack.enter_context(open(p, "rb")), "application/octet-stream"))
                     for i, (_, p) in enumerate(files)]
            form = {"spec": json.dumps(body), "paths": json.dumps([rel for rel, _ in files])}
            return self._post_version(self._path(name, "versions", "upload"), data=form, files=parts)

    def _post_version(self, path: str, **kwargs: Any) -> tuple[ModelVersion, bool]:
        status, payload = self._http.request_with_status("POST", path, **kwargs)
        self._cache.invalidate()
        return ModelVersion.model_validate(payload), status == 201

    def alias(self, ref: str, alias: str) -> ModelVersion:
        """Point ``alias`` at the version ``ref`` resolves to."""
        version = self._http.put_as(ModelVersion, self._path(str(ref), "aliases", alias))
        self._cache.invalidate()
        return version

    def unalias(self, name: str, alias: str) -> None:
        """Remove ``alias`` from model ``name``."""
        self._http.request("DELETE", self._path(name, "aliases", alias))
        self._cache.invalidate()

    def set_status(self, ref: str, status: str, *, reason: str | None = None) -> ModelVersion:
        """Move a version along draft -> reviewed -> approved -> retired."""
        version = self._http.post_as(ModelVersion, self._path(str(ref), "status"),
                                     json={"status": status, "reason": reason})
        self._cache.invalidate()
        return version

    def get(self, ref: str) -> ModelVersion:
        """The version ``ref`` points at."""
        return self._http.get_as(ModelVersion, self._path(str(ref)))

    def resolve(self, ref: str | Ref) -> ModelVersion:
        """Like :meth:`get`, from this client's cache when possible (``GENLOOP_CACHE_TTL``; own writes clear it)."""
        key = str(parse_ref(ref))
        hit = self._cache.get(key)
        if not self._cache.is_missing(hit):
            return hit  # type: ignore[no-any-return]
        version = self.get(key)
        self._cache.put(key, version)
        return version

    def show(self, ref: str) -> ModelDetail:
        """A version with its status history."""
        return self._http.get_as(ModelDetail, self._path(str(ref)), params={"history": "true"})

    def history(self, ref: str) -> list[StatusChange]:
        """The status history of one version, oldest first."""
        return self.show(ref).history

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[ModelInfo]:
        """Registered models, by name."""
        offset, limit = Store.page_bounds(offset, limit)  # the service's check, without a round trip
        return self._http.get_as(Page[ModelInfo], f"/projects/{self.project}/models",
                                 params={"offset": offset, "limit": limit})

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[ModelVersion]:
        """The versions of model ``name``, newest first."""
        offset, limit = Store.page_bounds(offset, limit)  # the service's check, without a round trip
        return self._http.get_as(Page[ModelVersion], self._path(name, "versions"),
                                 params={"offset": offset, "limit": limit})
