"""REST twin of :class:`genloop.prompts.PromptService`: same methods, same schemas, same errors.

prompt.yaml files are read here and their text sent to the server, which parses it with the same
code as the in-process service, so a bad file fails with the same message either way. ``get`` keeps
resolved references in an in-process cache (``GENLOOP_CACHE_TTL``; cleared by this client's own
writes), and ``render`` renders the cached version here with the same sandbox, so the hot path
costs no round trip.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.prompts import PromptDiff, PromptInfo, PromptVersion, RenderedPrompt, render_version
from genloop.prompts._yaml import read_text_file
from genloop.refs import Ref, parse_ref, validate_label, validate_name
from genloop.store import Page, RefCache, Store

__all__ = ["RemotePrompts"]


class RemotePrompts:
    """``client.prompts`` when the client talks to a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default", *, cache_ttl: float | None = None) -> None:
        if cache_ttl is None:
            from genloop.settings import Settings

            cache_ttl = Settings().cache_ttl
        self._http = http
        self.project = project
        self._cache = RefCache(cache_ttl)

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/prompts"

    def _post_version(self, path: str, body: dict[str, Any]) -> PromptVersion:
        version: PromptVersion = self._http.post_as(PromptVersion, path, json=body)
        self._cache.invalidate()
        return version

    # -- writing -------------------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        messages: builtins.list[Mapping[str, Any]] | None = None,
        template: str | None = None,
        variables: builtins.list[str] | None = None,
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        response_schema: Mapping[str, Any] | None = None,
        message: str = "",
        description: str | None = None,
    ) -> PromptVersion:
        """Create a version (chat ``messages`` or text ``template``); identical content returns the latest."""
        validate_name(name, "prompt name")
        body = {"messages": messages, "template": template, "variables": variables, "model": model,
                "params": params, "response_schema": response_schema, "message": message, "description": description}
        return self._post_version(f"{self._base}/{name}/versions", {k: v for k, v in body.items() if v is not None})

    def create_from_file(self, name: str, path: str | Path, *, message: str = "") -> PromptVersion:
        """Create a version from a prompt.yaml file (read here, parsed by the server)."""
        return self.create_from_yaml(name, read_text_file(path), filename=str(path), message=message)

    def create_from_yaml(self, name: str, text: str, *, filename: str = "<prompt.yaml>",
                         message: str = "") -> PromptVersion:
        """Create a version from prompt.yaml text; errors name ``filename``, the line and the field."""
        validate_name(name, "prompt name")
        body = {"yaml": text, "filename": filename, "message": message}
        return self._post_version(f"{self._base}/{name}/versions/yaml", body)

    def label(self, ref: str | Ref, label: str) -> PromptVersion:
        """Point ``label`` at the version ``ref`` resolves to (moving it if it exists)."""
        validate_label(label)
        return self._post_version(f"{self._base}/{_ref_path(ref)}/labels", {"label": label})

    def unlabel(self, name: str, label: str) -> None:
        """Remove ``label`` from prompt ``name``."""
        validate_name(name, "prompt name")
        self._http.request("DELETE", f"{self._base}/{name}/labels/{quote(label, safe='')}")
        self._cache.invalidate()

    # -- reading -------------------------------------------------------------------------------

    def cached(self, ref: str | Ref) -> PromptVersion | None:
        """The version ``ref`` points at if it is in this client's cache, else None; never calls the server."""
        found = self._cache.get(ref) if isinstance(ref, str | Ref) else None
        return None if found is None or self._cache.is_missing(found) else found  # type: ignore[no-any-return]

    def get(self, ref: str | Ref) -> PromptVersion:
        """The version ``ref`` points at; cached in this process."""
        if not isinstance(ref, str | Ref):
            ref = parse_ref(ref)  # raises the same InvalidInput as in-process
        cached = self._cache.get(ref)
        if not self._cache.is_missing(cached):
            return cached  # type: ignore[no-any-return]
        version: PromptVersion = self._http.get_as(PromptVersion, f"{self._base}/{_ref_path(ref)}")
        self._cache.put(ref, version)
        return version

    def render(self, ref: str | Ref, variables: Mapping[str, Any] | None = None) -> RenderedPrompt:
        """Render the version ``ref`` points at (here, in the same sandbox the server uses)."""
        return render_version(self.get(ref), variables)

    def diff(self, ref_a: str | Ref, ref_b: str | Ref) -> PromptDiff:
        """What changed from ``ref_a`` to ``ref_b``."""
        return self._http.get_as(PromptDiff, f"{self._base}/{_ref_path(ref_a)}/diff",
                                 params={"other": str(parse_ref(ref_b))})

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[PromptInfo]:
        """Prompts of the project by name, with their latest version and labels."""
        offset, limit = Store.page_bounds(offset, limit)  # the service's check, without a round trip
        return self._http.get_as(Page[PromptInfo], self._base, params={"offset": offset, "limit": limit})

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[PromptVersion]:
        """Versions of prompt ``name``, newest first."""
        validate_name(name, "prompt name")
        offset, limit = Store.page_bounds(offset, limit)  # the service's check, without a round trip
        return self._http.get_as(Page[PromptVersion], f"{self._base}/{name}/versions",
                                 params={"offset": offset, "limit": limit})


def _ref_path(ref: str | Ref) -> str:
    """The ref as a URL path segment; parsed first, so a malformed ref fails as it does in-process."""
    return quote(str(parse_ref(ref)), safe="@")
