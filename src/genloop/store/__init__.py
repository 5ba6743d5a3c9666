"""The store: the database (SQLAlchemy 2 + Alembic; SQLite or PostgreSQL) and the artifact store (fsspec).

Domain packages own their tables (built on :class:`Base`) and use :class:`Store` for transactions,
artifacts, the actor recorded in the audit log, and the in-process reference cache.
"""

from __future__ import annotations

from genloop.settings import Settings
from genloop.store._artifacts import ArtifactStore
from genloop.store._base import Base, JSONType, UTCDateTime
from genloop.store._cache import RefCache
from genloop.store._db import Database, utcnow
from genloop.store._schemas import AuditEventInfo, Page, ProjectInfo

__all__ = [
    "ArtifactStore",
    "AuditEventInfo",
    "Base",
    "Database",
    "JSONType",
    "Page",
    "ProjectInfo",
    "RefCache",
    "Store",
    "UTCDateTime",
    "utcnow",
]

MAX_PAGE = 1000
#: Largest page offset: the largest integer a JSON number holds exactly (and far inside SQL's 64-bit OFFSET).
MAX_OFFSET = 2**53 - 1


class Store:
    """Everything a domain service needs from the core: database, artifacts, actor and cache."""

    def __init__(self, settings: Settings | None = None, *, migrate: bool = True) -> None:
        self.settings = settings or Settings()
        self.settings.resolved_home.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.settings.resolved_database_url, migrate=migrate)
        self.artifacts = ArtifactStore(self.settings.resolved_artifacts_uri)
        self.cache = RefCache(self.settings.cache_ttl)
        self.default_actor = self.settings.resolved_actor

    def close(self) -> None:
        self.db.dispose()

    @staticmethod
    def page_bounds(offset: int, limit: int) -> tuple[int, int]:
        """Check pagination arguments (``limit`` 1..1000, ``offset`` 0..2**53-1)."""
        from genloop.errors import InvalidInput

        if not 0 <= offset <= MAX_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")
        if limit < 1 or limit > MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
        return offset, limit
