"""REST twin of :class:`genloop.evals.EvalService`: same methods, same schemas, same exceptions.

Remote mode runs the evaluation engine here, in the client process (model calls use this machine's provider
keys; custom metrics and plugins installed here apply; Ctrl-C and the progress bar work as locally), and
writes runs, items, verdicts and cache entries through the server's REST API. The rows written are the
same as an in-process run's, so results are identical either way.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.evals import Comparison, EvalItem, EvalPair, GateResult, JudgeAgreement
from genloop.evals._backend import _drain
from genloop.evals._service import _EvalOps
from genloop.evals._validate import load_labels
from genloop.runs import RunInfo
from genloop.settings import Settings
from genloop.store import Page

__all__ = ["RemoteBackend", "RemoteEvals"]


class RemoteBackend:
    """The eval backend over REST (the methods of :class:`genloop.evals.LocalBackend`)."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    def _path(self, *parts: str) -> str:
        return "/".join([f"/projects/{self.project}/evals", *(quote(str(p), safe="") for p in parts)])

    def start_run(self, **body: Any) -> str:
        return str(self._http.request("POST", self._path("runs"), json=body)["run_id"])

    def find_resumable(self, spec_hash: str) -> str | None:
        return self._http.request("GET", self._path("resumable"), params={"spec_hash": spec_hash})["run_id"]  # type: ignore[no-any-return]

    def run_info(self, run_id: str) -> dict[str, Any]:
        return self._http.request("GET", self._path(run_id, "info"))  # type: ignore[no-any-return]

    def list_runs(self, offset: int = 0, limit: int = 50) -> Page[RunInfo]:
        return self._http.get_as(Page[RunInfo], self._path(), params={"offset": offset, "limit": limit})

    def finish(self, run_id: str, *, status: str, error: str | None, metrics: dict[str, float],
               summary: dict[str, Any]) -> None:
        self._http.request("POST", self._path(run_id, "finish"),
                           json={"status": status, "error": error, "metrics": metrics, "summary": summary})

    def continue_from(self, old_run_id: str, new_run_id: str) -> float:
        body = self._http.request("POST", self._path(new_run_id, "continue-from"), json={"run_id": old_run_id})
        return float(body["spent"])

    def write_batch(self, run_id: str, items: list[dict[str, Any]], pairs: list[dict[str, Any]],
                    cache: list[dict[str, Any]]) -> None:
        self._http.request("POST", self._path(run_id, "batch"), json={"items": items, "pairs": pairs, "cache": cache})

    def done_items(self, run_id: str) -> list[dict[str, Any]]:
        return self._http.request("GET", self._path(run_id, "done"))["items"]  # type: ignore[no-any-return]

    def done_pairs(self, run_id: str) -> list[dict[str, Any]]:
        return self._http.request("GET", self._path(run_id, "done"))["pairs"]  # type: ignore[no-any-return]

    def items(self, run_id: str, offset: int = 0, limit: int = 50, *, candidate: str | None = None,
              status: str | None = None) -> Page[EvalItem]:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if candidate:
            params["candidate"] = candidate
        if status:
            params["status"] = status
        return self._http.get_as(Page[EvalItem], self._path(run_id, "items"), params=params)

    def pairs(self, run_id: str, offset: int = 0, limit: int = 50) -> Page[EvalPair]:
        return self._http.get_as(Page[EvalPair], self._path(run_id, "pairs"),
                                 params={"offset": offset, "limit": limit})

    def all_items(self, run_id: str) -> list[EvalItem]:
        return _drain(lambda o: self.items(run_id, o, 1000))

    def all_pairs(self, run_id: str) -> list[EvalPair]:
        return _drain(lambda o: self.pairs(run_id, o, 1000))

    def cache_get(self, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 5000):
            body = self._http.request("POST", self._path("cache", "lookup"), json={"keys": keys[start:start + 5000]})
            found.update(body["found"])
        return found


class RemoteEvals(_EvalOps):
    """Evaluations of one project on a GenLoop server (the engine runs in this process)."""

    def __init__(self, http: HttpTransport, project: str = "default", settings: Settings | None = None) -> None:
        self._http = http
        self.project = project
        self.settings = settings or Settings()
        self.backend = RemoteBackend(http, project)

    def _services(self) -> tuple[Any, Any, Any]:
        from genloop.client._datasets import RemoteDatasets
        from genloop.client._models import RemoteModels
        from genloop.client._prompts import RemotePrompts

        return (RemoteDatasets(self._http, project=self.project), RemotePrompts(self._http, project=self.project),
                RemoteModels(self._http, project=self.project))

    def compare(self, run_a: str, run_b: str, *, candidate_a: str | None = None, candidate_b: str | None = None,
                top: int = 5, min_effect: float | None = None) -> Comparison:
        """Run B against baseline run A on their shared items (computed by the server)."""
        params: dict[str, Any] = {"run_a": run_a, "run_b": run_b, "top": top}
        for key, value in (("candidate_a", candidate_a), ("candidate_b", candidate_b), ("min_effect", min_effect)):
            if value is not None:
                params[key] = value
        return self._http.get_as(Comparison, self.backend._path("compare"), params=params)

    def check_gates(self, run_id: str, gates: builtins.list[str]) -> builtins.list[GateResult]:
        """Check gates on a finished run."""
        return self._http.post_as(list[GateResult], self.backend._path(run_id, "gates"), json={"gates": gates})

    def report(self, run_id: str, format: str = "markdown") -> str:
        """The run as ``table``, ``markdown``, ``html``, ``json`` or ``junit`` text (rendered by the server)."""
        response = self._http._client.get(self.backend._path(run_id, "report"), params={"format": format})
        if response.status_code >= 400:
            from genloop.errors import error_from_payload

            raise error_from_payload(response.json(), response.status_code)
        return response.text

    def validate_judge(self, run_id: str, judge: str, *, labels: dict[str, Any] | str | Path | None = None,
                       labels_column: str | None = None) -> JudgeAgreement:
        """Agreement of a judge with human labels (a file is read here and sent as a mapping)."""
        mapping = None if labels_column is not None else load_labels(source=labels)
        return self._http.post_as(JudgeAgreement, self.backend._path(run_id, "validate-judge"),
                                  json={"judge": judge, "labels": mapping, "labels_column": labels_column})
