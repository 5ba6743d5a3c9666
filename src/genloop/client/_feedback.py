"""REST twin of :class:`genloop.feedback.FeedbackService`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.feedback import FeedbackInfo
from genloop.store import Page

__all__ = ["RemoteFeedback"]


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
