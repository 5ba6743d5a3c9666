"""``client.compliance``: retirement, retention, erasure and the audit export, in-process or over REST."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.governance._erasure import ErasureResult
from genloop.governance._retention import RetentionInfo, RetentionRun

__all__ = ["Compliance", "RemoteCompliance"]


class Compliance:
    """In-process: the governance services of one project."""

    def __init__(self, store: Any, project: str = "default", actor: str | None = None) -> None:
        self._store, self.project, self._actor = store, project, actor

    def retire(self, kind: str, ref: str, *, reason: str | None = None) -> dict[str, Any]:
        """Retire a ``prompt`` or ``model`` version."""
        from genloop.errors import InvalidInput
        from genloop.governance._retirement import RetirementService

        service = RetirementService(self._store, self.project, self._actor)
        if kind == "prompt":
            return service.retire_prompt(ref, reason=reason)
        if kind == "model":
            return service.retire_model(ref, reason=reason)
        raise InvalidInput(f"cannot retire a {kind!r}", hint="retire a prompt or a model version")

    def retention(self) -> RetentionInfo:
        from genloop.governance._retention import RetentionService

        return RetentionService(self._store, self.project).get()

    def set_retention(self, *, traces_days: int | None = None, feedback_days: int | None = None) -> RetentionInfo:
        from genloop.governance._retention import RetentionService

        return RetentionService(self._store, self.project, self._actor).set(traces_days=traces_days,
                                                                            feedback_days=feedback_days)

    def run_retention(self) -> RetentionRun:
        from genloop.governance._retention import RetentionService

        return RetentionService(self._store, self.project, self._actor).run()

    def erase(self, *, user_id: str | None = None, session_id: str | None = None) -> ErasureResult:
        from genloop.governance._erasure import erase

        return erase(self._store, self.project, user_id=user_id, session_id=session_id, actor=self._actor)

    def export_audit(self, dest: IO[bytes], *, since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> None:
        """Write the audit log as JSONL into the binary file ``dest``."""
        from genloop.audit._service import export_jsonl

        for line in export_jsonl(self._store, self.project, since=since, until=until):
            dest.write(line)


class RemoteCompliance:
    """Twin of :class:`Compliance` over the REST API."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http, self.project = http, project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}"

    def retire(self, kind: str, ref: str, *, reason: str | None = None) -> dict[str, Any]:
        return self._http.request("POST", f"{self._base}/governance/retire",  # type: ignore[no-any-return]
                                  json={"kind": kind, "ref": ref, "reason": reason})

    def retention(self) -> RetentionInfo:
        return self._http.get_as(RetentionInfo, f"{self._base}/retention")

    def set_retention(self, *, traces_days: int | None = None, feedback_days: int | None = None) -> RetentionInfo:
        return self._http.put_as(RetentionInfo, f"{self._base}/retention",
                                 json={"traces_days": traces_days, "feedback_days": feedback_days})

    def run_retention(self) -> RetentionRun:
        return self._http.post_as(RetentionRun, f"{self._base}/retention/run")

    def erase(self, *, user_id: str | None = None, session_id: str | None = None) -> ErasureResult:
        return self._http.post_as(ErasureResult, f"{self._base}/erasure",
                                  json={"user_id": user_id, "session_id": session_id})

    def export_audit(self, dest: IO[bytes], *, since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> None:
        params = {k: v.isoformat() for k, v in (("since", since), ("until", until)) if v is not None}
        self._http.stream_to(f"{self._base}/audit/export", dest, params=params)
