"""Browsing a version's rows a page at a time: by row offset within the Parquet file, or by a text search.

A plain page reads only the row groups that hold rows ``offset .. offset+limit``. A search scans batches
in order, matching ``q`` (case-insensitive) in the row's text, and stops once the page is full or after
``scan_limit`` rows, saying how far it got so the next page continues from there (a keyset on the row
number), so a search never reads a huge file in one request.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field

from genloop.datasets._export import jsonable_rows
from genloop.datasets._service import DatasetService

__all__ = ["RowPage", "browse_rows"]

SCAN_LIMIT = 200_000


class RowPage(BaseModel):
    """Rows of a version with their row numbers; ``next_start`` continues the listing (None at the end)."""

    ref: str
    rows: list[tuple[int, dict[str, Any]]]
    start: int = Field(description="Row number the page started from")
    next_start: int | None = None
    scanned_to: int = Field(description="Row number the scan reached (a search may stop before the end)")
    num_rows: int
    q: str = ""


def browse_rows(service: DatasetService, ref: str, *, start: int = 0, limit: int = 50, q: str = "",
                scan_limit: int = SCAN_LIMIT) -> RowPage:
    """Rows from row number ``start``: the next ``limit`` rows, or the next ``limit`` that contain ``q``."""
    version = service.get(ref)
    start = max(0, min(start, version.num_rows))
    if not q:
        return _plain(service, version.ref, version.num_rows, start, limit)
    needle = q.lower()
    found: list[tuple[int, dict[str, Any]]] = []
    position = 0
    for batch in service.iter_batches(version.ref, batch_size=2048):
        end = position + batch.num_rows
        if end <= start:
            position = end
            continue
        skip = max(0, start - position)
        sliced = batch.slice(skip)
        mask = _matches(sliced, needle)
        for index in pc.indices_nonzero(mask).to_pylist():
            found.append((position + skip + index, sliced.slice(index, 1).to_pylist()[0]))
            if len(found) == limit:
                row_number = found[-1][0] + 1
                return RowPage(ref=version.ref, rows=_json(found), start=start, num_rows=version.num_rows, q=q,
                               next_start=row_number if row_number < version.num_rows else None,
                               scanned_to=row_number)
        position = end
        if position - start >= scan_limit:
            break
    more = position < version.num_rows
    return RowPage(ref=version.ref, rows=_json(found), start=start, next_start=position if more else None,
                   scanned_to=position, num_rows=version.num_rows, q=q)


def _plain(service: DatasetService, ref: str, num_rows: int, start: int, limit: int) -> RowPage:
    rows: list[tuple[int, dict[str, Any]]] = []
    position = 0
    for batch in service.iter_batches(ref, batch_size=max(limit, 256)):
        end = position + batch.num_rows
        if end > start:
            take = batch.slice(max(0, start - position), limit - len(rows))
            first = max(start, position)
            rows.extend((first + i, row) for i, row in enumerate(take.to_pylist()))
            if len(rows) >= limit:
                break
        position = end
    last = start + len(rows)
    return RowPage(ref=ref, rows=_json(rows), start=start, next_start=last if last < num_rows else None,
                   scanned_to=last, num_rows=num_rows)


def _matches(batch: pa.RecordBatch, needle: str) -> pa.Array:
    """Whether each row holds ``needle`` in any column's text (non-string columns as their JSON-ish text)."""
    mask = pa.array([False] * batch.num_rows)
    for column in batch.columns:
        text = column if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) else None
        if text is None:
            try:
                text = pc.cast(column, pa.string())
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
                text = pa.array([str(v) for v in column.to_pylist()], pa.string())
        hit = pc.fill_null(pc.match_substring(text, needle, ignore_case=True), False)
        mask = pc.or_(mask, hit)
    return mask


def _json(rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    return list(zip([n for n, _ in rows], jsonable_rows([r for _, r in rows]), strict=True))
