"""Parsing what Studio's list pages take from the query string: page position, size and filters.

Filters live in the query string so every filtered list has its own URL; a value that does not parse is
a 400 page naming the parameter, never silently ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from genloop.errors import InvalidInput
from genloop.store import Page

__all__ = ["ListQ", "ListQuery", "Pager", "list_query", "name_search", "optional_time", "pager"]

T = TypeVar("T")
SEARCH_CAP = 10_000

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class ListQuery:
    """A list page's position (``offset``), size (``limit``) and search text (``q``)."""

    offset: int = 0
    limit: int = DEFAULT_LIMIT
    q: str = ""


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"query parameter {name}={raw!r} is not a whole number",
                           hint=f"use {name}={default}") from None
    if not low <= value <= high:
        raise InvalidInput(f"query parameter {name}={value} is outside {low}..{high}", hint=f"use {name}={default}")
    return value


async def list_query(request: Request) -> ListQuery:
    """The list position from ``offset``, ``limit`` (1-200) and ``q``."""
    return ListQuery(offset=_int(request, "offset", 0, 0, 2**53 - 1),
                     limit=_int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
                     q=(request.query_params.get("q") or "").strip()[:500])


ListQ = Annotated[ListQuery, Depends(list_query)]


def optional_time(request: Request, name: str) -> dt.datetime | None:
    """An ISO date or datetime from the query string (UTC when it has no zone), or None when absent."""
    raw = (request.query_params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"query parameter {name}={raw!r} is not an ISO date or time",
                           hint=f"use e.g. {name}=2025-01-31 or {name}=2025-01-31T12:00") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Pager:
    """Links for a list page: previous and next (None at either end), and the range shown."""

    first: int
    last: int
    total: int
    prev_url: str | None
    next_url: str | None


def pager(request: Request, page: Page[Any]) -> Pager:
    """The pager of an offset page, keeping every other query parameter (filters) of this URL."""
    from genloop.studio._templates import with_query

    prev_offset = max(page.offset - page.limit, 0) if page.offset > 0 else None
    return Pager(first=page.offset + 1 if page.items else 0, last=page.offset + len(page.items), total=page.total,
                 prev_url=with_query(request.url, offset=prev_offset or None) if prev_offset is not None else None,
                 next_url=with_query(request.url, offset=page.next_offset) if page.next_offset else None)


def name_search(fetch: Callable[[int, int], Page[T]], query: ListQuery, name: Callable[[T], str]) -> Page[T]:
    """A page of a by-name listing; with ``q``, of the entries whose name contains it (case-insensitive),
    found by reading the listing through (a project holds few named things; at most 10,000 are searched)."""
    if not query.q:
        return fetch(query.offset, query.limit)
    needle, matched, position = query.q.lower(), list[T](), 0
    while position < SEARCH_CAP:
        page = fetch(position, 1000)
        matched += [item for item in page.items if needle in name(item).lower()]
        if page.next_offset is None:
            break
        position = page.next_offset
    return Page[Any].build(matched[query.offset:query.offset + query.limit], len(matched), query.offset, query.limit)
