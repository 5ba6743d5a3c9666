"""Studio's Jinja2 environment: autoescape always on, and the few filters templates use to show values."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
from starlette.datastructures import URL

__all__ = ["TEMPLATES", "environment", "time_ago", "with_query"]

TEMPLATES = Path(__file__).parent / "templates"


def time_ago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """``42 s ago``, ``5 min ago``, ``3 h ago``, ``12 d ago``, or the date for older values."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    seconds = ((now or dt.datetime.now(dt.UTC)) - value).total_seconds()
    if seconds < 0:
        return "just now"
    for limit, unit, size in ((60, "s", 1), (3600, "min", 60), (86400, "h", 3600), (86400 * 45, "d", 86400)):
        if seconds < limit:
            return f"{int(seconds // size)} {unit} ago"
    return value.strftime("%Y-%m-%d")


def iso(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def number(value: Any, digits: int = 3) -> str:
    """A metric for a dense table: 3 significant digits, thousands separated, '' for None, 'nan' kept."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.{digits}g}"
        text = f"{value:,.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def with_query(url: URL | str, **changes: Any) -> str:
    """``url`` with query parameters changed (None removes one); keeps the path and the other filters."""
    url = URL(str(url))
    params = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    return url.path + ("?" + urlencode(params) if params else "")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(time_ago=time_ago, iso=iso, number=number)
    env.globals.update(with_query=with_query)
    return env
