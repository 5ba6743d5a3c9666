"""All GenLoop tables in one MetaData, for migration checks and autogeneration (never at run time).

Domain packages own their tables; this list names the modules that define them. A test fails when
the tables and the migrations disagree.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from genloop.store._base import Base

TABLE_MODULES: tuple[str, ...] = (
    "genloop.store._registry",
    "genloop.datasets._tables",
    "genloop.prompts._tables",
    "genloop.models._tables",
    "genloop.runs._tables",
    "genloop.evals._tables",
    "genloop.deployments._tables",
    "genloop.tracing._tables",
    "genloop.feedback._tables",
    "genloop.auth._tables",
    "genloop.connections._tables",
    "genloop.review._tables",
    "genloop.monitoring._tables",
    "genloop.pipelines._tables",
    "genloop.governance._tables",
    "genloop.governance._retention_tables",
    "genloop.pipelines._trigger_tables",
)


#: Tables in the database that no model declares: SQLite's FTS5 index of traces and its shadow tables
#: (created by migration 0005); migration checks leave them out (``include_name=managed``).
UNMANAGED_TABLE_PREFIX = "traces_fts"


def managed(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: False for the tables listed in ``UNMANAGED_TABLE_PREFIX``."""
    return not (type_ == "table" and (name or "").startswith(UNMANAGED_TABLE_PREFIX))


def load_all_tables() -> MetaData:
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return Base.metadata
