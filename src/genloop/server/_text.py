"""Text a JSON request body may carry: Unicode that every store backend keeps and gives back.

JSON can spell things that are not storable text: a lone surrogate (``"\\ud800"``), which no UTF-8
encoder writes (SQLite, PostgreSQL and the JSON responses all fail on it), and NUL (``"\\u0000"``),
which PostgreSQL refuses in text and JSONB. Such a body is the caller's mistake, answered 400 with
the field that holds it, before any route runs, the same on every backend.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["json_text_problem"]


def json_text_problem(body: bytes) -> str | None:
    """What makes ``body`` (JSON) hold text that cannot be stored, with its field; None when it is fine.

    A body that is not JSON at all is left to the route's own parser (None here).
    """
    try:
        value = orjson.loads(body)  # refuses invalid UTF-8 and lone surrogates; fast on the common path
    except orjson.JSONDecodeError:
        try:
            value = json.loads(body)
        except UnicodeDecodeError as exc:
            return f"the request body is not UTF-8 (byte {body[exc.start]:#04x} at offset {exc.start})"
        except ValueError:
            return None
    else:
        if b"\\u0000" not in body:
            return None
    return _walk(value, "body")


def _walk(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return _str_problem(value, path)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _str_problem(key, f"{path} (a key)") or _walk(item, f"{path}.{key}")
            if problem:
                return problem
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problem = _walk(item, f"{path}[{i}]")
            if problem:
                return problem
    return None


def _str_problem(text: str, path: str) -> str | None:
    if "\x00" in text:
        return f"{path} holds a NUL character (\\u0000), which cannot be stored as text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"{path} holds a lone surrogate (\\u{ord(text[exc.start]):04x}), which is not Unicode text"
    return None
