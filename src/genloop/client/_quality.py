"""REST twin of :class:`genloop.quality.QualityService` (``client.quality`` against a server)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import httpx

from genloop.client._http import HttpTransport
from genloop.quality import PromptMap, QualityResult, VersionProfile

__all__ = ["RemoteQuality"]

_LONG = httpx.Timeout(60.0, read=3600.0)  # an operation reads (and may write) a whole dataset version


class RemoteQuality:
    """``client.quality`` when the client talks to a GenLoop server; same methods and results as in-process."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/quality"

    def _post(self, model: Any, op: str, body: dict[str, Any]) -> Any:
        return self._http.post_as(model, f"{self._base}/{op}", json=body, timeout=_LONG)

    def profile(self, ref: str, *, tokenizer: str | None = None, sample: int = 10_000, seed: int = 0,
                near_threshold: float = 0.8) -> VersionProfile:
        return self._post(VersionProfile, "profile", {"ref": ref, "tokenizer": tokenizer, "sample": sample,
                                                      "seed": seed, "near_threshold": near_threshold})

    def get_profile(self, ref: str) -> VersionProfile:
        return self._http.get_as(VersionProfile, f"{self._base}/profiles/{quote(ref, safe='@')}")

    def clean(self, ref: str, steps: list[dict[str, Any]], *, name: str | None = None,
              message: str = "") -> QualityResult:
        return self._post(QualityResult, "clean", {"ref": ref, "steps": steps, "name": name, "message": message})

    def dedup(self, ref: str, *, method: str = "near", threshold: float = 0.8, num_perm: int = 128, ngram: int = 3,
              keep: str = "first", columns: list[str] | None = None, name: str | None = None,
              message: str = "") -> QualityResult:
        return self._post(QualityResult, "dedup", {
            "ref": ref, "method": method, "threshold": threshold, "num_perm": num_perm, "ngram": ngram, "keep": keep,
            "columns": columns, "name": name, "message": message})

    def scrub(self, ref: str, *, mode: str = "redact", checks: list[str] | None = None,
              columns: list[str] | None = None, name: str | None = None, message: str = "") -> QualityResult:
        return self._post(QualityResult, "scrub", {"ref": ref, "mode": mode, "checks": checks, "columns": columns,
                                                   "name": name, "message": message})

    def decontaminate(self, ref: str, eval_refs: list[str], *, n: int = 13, threshold: float | None = 0.8,
                      action: str = "remove", columns: list[str] | None = None, name: str | None = None,
                      message: str = "") -> QualityResult:
        return self._post(QualityResult, "decontaminate", {
            "ref": ref, "eval_refs": eval_refs, "n": n, "threshold": threshold, "action": action,
            "columns": columns, "name": name, "message": message})

    def overlap(self, ref: str, eval_refs: list[str], *, n: int = 13) -> dict[str, Any]:
        return self._http.get_as(dict[str, Any], f"{self._base}/overlap",
                                 params={"ref": ref, "eval": list(eval_refs), "n": n}, timeout=_LONG)

    def map(self, ref: str | None = None, *, column: str | None = None, since: dt.datetime | None = None,
            until: dt.datetime | None = None, deployment: str | None = None, reference: str | None = None,
            embedder: str | None = None, projection: str = "pca", max_points: int = 20_000,
            seed: int = 0) -> PromptMap:
        return self._post(PromptMap, "map", {
            "ref": ref, "column": column, "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None, "deployment": deployment, "reference": reference,
            "embedder": embedder, "projection": projection, "max_points": max_points, "seed": seed})
