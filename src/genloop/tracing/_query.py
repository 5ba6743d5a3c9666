"""The read side of traces at scale: keyset pages, indexed filters, full-text search, bounded totals, sessions.

Every page is ordered newest first by ``(started_at, id)`` and continues from an opaque cursor (the last
row's time and id), so page 1,000 costs what page 1 costs. Each filter has a ``(project, filter, time)``
index (migration 0005). Text search reads SQLite's FTS5 table ``traces_fts`` or PostgreSQL's ``search``
tsvector column (GIN). Totals are counted up to :data:`COUNT_CAP` (1,000) rows; beyond it the page says the total
is a lower bound (``total_exact`` False) instead of paying a full ``COUNT(*)``.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, func, literal, literal_column, select, text, tuple_, type_coerce
from sqlalchemy.orm import Session

from genloop.errors import InvalidInput
from genloop.feedback._tables import FeedbackRow
from genloop.store import UTCDateTime
from genloop.tracing._tables import TraceRow

__all__ = ["COUNT_CAP", "GUARDRAIL_ACTIONS", "TraceFilters", "decode_cursor", "encode_cursor", "strongest_action"]

COUNT_CAP = 1_000
DRIVE_CAP = 5_000
GUARDRAIL_ACTIONS = ("flag", "mask", "redact", "block")
_STRENGTH = {name: i for i, name in enumerate(GUARDRAIL_ACTIONS)}
_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_WORDS = 16


def strongest_action(findings: Any) -> str | None:
    """The strongest guardrail action among ``findings`` (block > redact > mask > flag), None without any."""
    if not isinstance(findings, list):
        return None
    actions = [f.get("action") for f in findings if isinstance(f, dict) and f.get("action") in _STRENGTH]
    return max(actions, key=_STRENGTH.__getitem__) if actions else None


def encode_cursor(started_at: dt.datetime, trace_id: str) -> str:
    """An opaque token for the page after the trace ``(started_at, trace_id)``."""
    stamp = started_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return base64.urlsafe_b64encode(f"{stamp}|{trace_id}".encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[dt.datetime, str]:
    """The ``(started_at, trace_id)`` of a cursor, or :class:`InvalidInput` naming the fix."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, trace_id = raw.split("|")
        when = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=dt.UTC)
        if not re.fullmatch(r"[0-9a-f]{32}", trace_id):
            raise ValueError(trace_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"invalid cursor {token[:60]!r}",
                           hint="pass back the next_cursor of the previous page unchanged, or omit it") from exc
    return when, trace_id


def search_words(query: str) -> list[str]:
    """The words of a search (letters and digits; at most 16), or :class:`InvalidInput` when there are none."""
    words = _WORD.findall(query or "")[:_MAX_WORDS]
    if not words:
        raise InvalidInput(f"search {query[:60]!r} has no words to look for",
                           hint="search for words that appear in the trace input or output")
    return words


@dataclass
class TraceFilters:
    """What a trace list keeps: each field None (or empty) means no filter on it."""

    deployment: str | None = None
    variant: str | None = None
    status: str | None = None
    user: str | None = None
    session_id: str | None = None
    model: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    metadata: dict[str, str] | None = None
    guardrail: str | None = None  # an action, or "any"
    feedback: bool | None = None  # True: with feedback, False: without
    search: str | None = None

    def apply(self, query: Select[Any], project_id: int, dialect: str, *, drive: bool = False) -> Select[Any]:
        """``query`` (over TraceRow) restricted to the project and these filters.

        ``drive`` (SQLite): the search or feedback set is small, so read it first: every other column is
        written ``+column`` (SQLite's way to keep a term off an index) and the plan starts from the set.
        """
        def col(column: Any) -> Any:
            if not drive:
                return column
            return type_coerce(literal_column(f"+traces.{column.name}"), column.type)

        query = query.where(col(TraceRow.project_id) == project_id)
        for column, value in ((TraceRow.deployment, self.deployment), (TraceRow.variant, self.variant),
                              (TraceRow.status, self.status), (TraceRow.user_id, self.user),
                              (TraceRow.session_id, self.session_id), (TraceRow.model, self.model)):
            if value is not None and value != "":
                query = query.where(col(column) == value)
        if self.since:
            query = query.where(col(TraceRow.started_at) >= _aware(self.since))
        if self.until:
            query = query.where(col(TraceRow.started_at) < _aware(self.until))
        for key, value in (self.metadata or {}).items():
            if not key or len(key) > 128:
                raise InvalidInput(f"invalid metadata key {key!r}", hint="a key is 1 to 128 characters")
            query = query.where(TraceRow.metadata_[key].as_string() == str(value))
        if self.guardrail:
            if self.guardrail == "any":
                query = query.where(col(TraceRow.guardrail_action).is_not(None))
            elif self.guardrail in _STRENGTH:
                query = query.where(col(TraceRow.guardrail_action) == self.guardrail)
            else:
                raise InvalidInput(f"invalid guardrail filter {self.guardrail!r}",
                                   hint=f"use any, {', '.join(GUARDRAIL_ACTIONS)}")
        if self.feedback is not None:
            rated = _rated(project_id)
            query = query.where(TraceRow.id.in_(rated) if self.feedback else TraceRow.id.not_in(rated))
        if self.search is not None:
            query = query.where(_matches(self.search, dialect))
        return query

    def small_driver(self, session: Session, project_id: int, dialect: str) -> int | None:
        """SQLite only: how many traces the search matches (or have feedback) when that is at most
        :data:`DRIVE_CAP`, so reading them first beats walking the time index until a page is full;
        None otherwise (or when there is no such set)."""
        if dialect != "sqlite" or (self.search is None and self.feedback is not True):
            return None
        if self.search is not None:
            words = " ".join('"' + w + '"' for w in search_words(self.search))
            found = text("SELECT count(*) FROM (SELECT rowid FROM traces_fts WHERE traces_fts MATCH :q LIMIT :n)")
            n = session.execute(found, {"q": words, "n": DRIVE_CAP + 1}).scalar() or 0
        else:
            rated = _rated(project_id).distinct().limit(DRIVE_CAP + 1).subquery()
            n = session.scalar(select(func.count()).select_from(rated))
        return int(n or 0) if int(n or 0) <= DRIVE_CAP else None

    def rated_count(self, session: Session, project_id: int) -> tuple[int, bool]:
        """How many traces of the project have feedback, counted up to :data:`COUNT_CAP`."""
        rated = _rated(project_id).distinct().limit(COUNT_CAP + 1).subquery()
        n = int(session.scalar(select(func.count()).select_from(rated)) or 0)
        return (COUNT_CAP, False) if n > COUNT_CAP else (n, True)

    def only_driver(self) -> bool:
        """True when the search (alone) or feedback=True (alone) is the only filter."""
        others = [self.deployment, self.variant, self.status, self.user, self.session_id, self.model, self.since,
                  self.until, self.metadata, self.guardrail]
        return not any(v not in (None, "", {}) for v in others) and ((self.search is None) != (self.feedback is not True))


def _rated(project_id: int) -> Select[Any]:
    return select(FeedbackRow.trace_id).where(FeedbackRow.project_id == project_id, FeedbackRow.trace_id.is_not(None))


def _matches(query: str, dialect: str) -> Any:
    words = search_words(query)
    if dialect == "postgresql":
        return TraceRow.search.op("@@")(func.plainto_tsquery(literal_column("'simple'::regconfig"),
                                                             literal(" ".join(words), String())))
    fts = " ".join('"' + w + '"' for w in words)
    return text("traces.rowid IN (SELECT rowid FROM traces_fts WHERE traces_fts MATCH :fts_query)").bindparams(
        fts_query=fts)


def after_cursor(query: Select[Any], cursor: str) -> Select[Any]:
    """Rows strictly after the cursor in newest-first order."""
    when, trace_id = decode_cursor(cursor)
    return query.where(tuple_(TraceRow.started_at, TraceRow.id)
                       < tuple_(literal(when, UTCDateTime()), literal(trace_id, String())))


def newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(TraceRow.started_at.desc(), TraceRow.id.desc())


def bounded_count(session: Session, query: Select[Any], cap: int | None = None) -> tuple[int, bool]:
    """How many rows ``query`` has, counting at most ``cap`` (default :data:`COUNT_CAP`; past it the
    second value is False)."""
    cap = COUNT_CAP if cap is None else cap
    limited = query.with_only_columns(literal(1)).select_from(TraceRow).order_by(None).limit(cap + 1).subquery()
    n = int(session.scalar(select(func.count()).select_from(limited)) or 0)
    return (cap, False) if n > cap else (n, True)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
