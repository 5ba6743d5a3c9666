"""REST twin of :class:`genloop.feedback.FeedbackService`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from genloop.client._http import HttpTransport
from genloop.feedback import FeedbackInfo
from genloop.store import Page

if TYPE_CHECKING:
    from genloop.feedback._export_schemas import ExportKind, FeedbackExport
    from genloop.guardrails import Policy

__all__ = ["RemoteFeedback"]

_LONG = httpx.Timeout(60.0, read=3600.0)  # an export reads every matching trace and writes a dataset version


class RemoteFeedback:
    """``client.feedback`` when the client talks to a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/feedback"

    def create(
        self,
        trace_id: str,
        *,
        name: str = "score",
        value: float | bool | str | None = None,
        comment: str | None = None,
        correction: Any = None,
        source: str = "api",
        metadata: dict[str, Any] | None = None,
    ) -> FeedbackInfo:
        body = {"trace_id": trace_id, "name": name, "value": value, "comment": comment, "correction": correction,
                "source": source, "metadata": metadata or {}}
        return self._http.post_as(FeedbackInfo, self._base, json=body)

    def list(
        self,
        *,
        trace_id: str | None = None,
        name: str | None = None,
        kind: str | None = None,
        has_correction: bool | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[FeedbackInfo]:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        for key, value in (("trace_id", trace_id), ("name", name), ("kind", kind),
                           ("has_correction", has_correction), ("since", since), ("until", until)):
            if value is not None:
                params[key] = value.isoformat() if isinstance(value, dt.datetime) else value
        return self._http.get_as(Page[FeedbackInfo], self._base, params=params)

    def export(
        self,
        *,
        kind: ExportKind,
        name: str,
        deployment: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        feedback_name: str | None = None,
        like_threshold: float | None = None,
        dislike_threshold: float | None = None,
        redact_pii: bool = False,
        policy: Policy | Mapping[str, Any] | str | Path | None = None,
        message: str = "",
    ) -> FeedbackExport:
        """See :meth:`genloop.feedback.FeedbackService.export`; a policy file or text is read here, sent as data."""
        from genloop.feedback import FeedbackExport, FeedbackExportRequest
        from genloop.guardrails import load_policy

        body = FeedbackExportRequest(
            kind=kind, name=name, deployment=deployment, since=since, until=until, feedback_name=feedback_name,
            like_threshold=like_threshold, dislike_threshold=dislike_threshold, redact_pii=redact_pii,
            policy=load_policy(policy).to_dict() if policy is not None else None, message=message)
        return self._http.post_as(FeedbackExport, f"{self._base}/export", json=body.model_dump(mode="json"),
                                  timeout=_LONG)
