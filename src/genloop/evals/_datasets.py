"""Reading an evaluation's dataset through the dataset service (local or remote), pinned to one version."""

from __future__ import annotations

from typing import Any

__all__ = ["load_rows"]


def load_rows(datasets: Any, ref: str) -> tuple[str, list[str], list[dict[str, Any]]]:
    """``(NAME@N, column names, rows)`` of the version ``ref`` points at now."""
    version = datasets.get(ref)
    pinned = f"{version.name}@{version.version}"
    columns = [c.name if hasattr(c, "name") else (c["name"] if isinstance(c, dict) else str(c))
               for c in version.columns]
    rows: list[dict[str, Any]] = []
    for chunk in datasets.iter_rows(pinned, batch_size=1000):
        if isinstance(chunk, dict):
            rows.append(chunk)
        else:
            rows.extend(dict(r) for r in chunk)
    return pinned, columns, rows
