"""REST twin of :class:`genloop.audit.AuditService`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from genloop.client._http import HttpTransport
from genloop.store import AuditEventInfo, Page, Store


class RemoteAudit:
    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    def list(
        self,
        *,
        entity_type: str | None = None,
        name: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[AuditEventInfo]:
        offset, limit = Store.page_bounds(offset, limit)  # the service's check, without a round trip
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        for key, value in (("entity_type", entity_type), ("name", name), ("action", action), ("actor", actor),
                           ("since", since), ("until", until)):
            if value is not None:
                params[key] = value.isoformat() if isinstance(value, dt.datetime) else value
        return self._http.get_as(Page[AuditEventInfo], f"/projects/{self.project}/audit", params=params)
