"""The audit log: every change (create, label or alias move, status change, delete), who made it and when."""

from genloop.audit._service import AuditService
from genloop.store import AuditEventInfo

__all__ = ["AuditEventInfo", "AuditService"]
