"""``client.governance``: promotion policies, reviews and model cards, in-process or through the REST API."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.governance import ModelCard, PolicyInfo, PolicySpec, ReviewInfo, load_policy_spec

__all__ = ["Governance", "RemoteGovernance"]


class Governance:
    """``client.governance`` in-process: ``.policies``, ``.reviews`` and ``.cards`` are the services themselves."""

    def __init__(self, store: Any, project: str = "default") -> None:
        from genloop.governance import ModelCardService, PolicyService, ReviewService

        self.policies = PolicyService(store, project=project)
        self.reviews = ReviewService(store, project=project)
        self.cards = ModelCardService(store, project=project)


class _Remote:
    def __init__(self, http: HttpTransport, project: str) -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/governance"


class RemotePolicies(_Remote):
    """Twin of :class:`genloop.governance.PolicyService`."""

    def set(self, spec: PolicySpec | dict[str, Any] | str | Path) -> PolicyInfo:
        body = load_policy_spec(spec).model_dump(mode="json")
        return self._http.put_as(PolicyInfo, f"{self._base}/policies", json=body)

    def get(self, name: str, version: int | None = None) -> PolicyInfo:
        params = {"version": version} if version is not None else None
        return self._http.get_as(PolicyInfo, f"{self._base}/policies/{quote(name, safe='')}", params=params)

    def list(self) -> builtins.list[PolicyInfo]:
        return self._http.get_as(builtins.list[PolicyInfo], f"{self._base}/policies")

    def disable(self, name: str) -> PolicyInfo:
        return self._http.post_as(PolicyInfo, f"{self._base}/policies/{quote(name, safe='')}/disable")


class RemoteReviews(_Remote):
    """Twin of :class:`genloop.governance.ReviewService`."""

    def request(self, ref: str, *, target: str = "production", changes: dict[str, Any] | None = None) -> ReviewInfo:
        return self._http.post_as(ReviewInfo, f"{self._base}/reviews",
                                  json={"ref": ref, "target": target, "changes": changes})

    def get(self, review_id: int) -> ReviewInfo:
        return self._http.get_as(ReviewInfo, f"{self._base}/reviews/{int(review_id)}")

    def list(self, *, status: str | None = None, ref: str | None = None, limit: int = 50) -> builtins.list[ReviewInfo]:
        params = {k: v for k, v in {"status": status, "ref": ref, "limit": limit}.items() if v is not None}
        return self._http.get_as(builtins.list[ReviewInfo], f"{self._base}/reviews", params=params)

    def decide(self, review_id: int, decision: str, *, comment: str = "") -> ReviewInfo:
        return self._http.post_as(ReviewInfo, f"{self._base}/reviews/{int(review_id)}/decide",
                                  json={"decision": decision, "comment": comment})


class RemoteCards(_Remote):
    """Twin of :class:`genloop.governance.ModelCardService` (``export`` writes only the card files remotely)."""

    def card(self, ref: str) -> ModelCard:
        return self._http.get_as(ModelCard, f"/projects/{quote(self.project, safe='')}/models/{quote(ref, safe='')}/card")

    def set_notes(self, ref: str, *, intended_use: str | None = None, limitations: str | None = None) -> ModelCard:
        return self._http.put_as(ModelCard, f"/projects/{quote(self.project, safe='')}/models/{quote(ref, safe='')}/card",
                                 json={"intended_use": intended_use, "limitations": limitations})

    def export(self, ref: str, dest: str | os.PathLike[str]) -> Path:
        card = self.card(ref)
        out = Path(dest)
        out.mkdir(parents=True, exist_ok=True)
        (out / "MODEL_CARD.md").write_text(card.markdown, encoding="utf-8")
        (out / "model_card.json").write_text(card.model_dump_json(indent=2), encoding="utf-8")
        return out


class RemoteGovernance:
    """``client.governance`` through the REST API."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self.policies = RemotePolicies(http, project)
        self.reviews = RemoteReviews(http, project)
        self.cards = RemoteCards(http, project)
