"""Values a JSON request body may carry: what every store backend keeps and gives back.

JSON can spell values that cannot be stored: a lone surrogate (``"\\ud800"``), which no UTF-8
encoder writes (SQLite, PostgreSQL and the JSON responses all fail on it); NUL (``"\\u0000"``),
which PostgreSQL refuses in text and JSONB; an integer past 64 bits, which neither database nor
orjson (content hashes) holds; NaN and Infinity, which are not JSON. Such a body is the caller's
mistake, answered 400 with the field that holds it, before any route runs, the same on every backend.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

__all__ = ["json_text_problem"]

# 2**63 has 19 digits: a shorter run of digits is a 64-bit integer. Digits map to "0" and the run is found
# with a substring search (C speed; a regex scan was 15x slower than parsing the body).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19
_INT64 = range(-(2**63), 2**63)
_TOO_DEEP = "the request body nests lists and objects too deeply"


def json_text_problem(body: bytes) -> str | None:
    """What makes ``body`` (JSON) hold a value that cannot be stored, with its field; None when it is fine.

    A body that is not JSON at all is left to the route's own parser (None here).
    """
    long_numbers = _LONG_RUN in body.translate(_DIGITS_AS_ZERO)
    try:
        value = orjson.loads(body)  # refuses invalid UTF-8, lone surrogates, NaN; fast on the common path
    except orjson.JSONDecodeError:
        long_numbers = True
    else:
        if b"\\u0000" not in body and not long_numbers:
            return None
    if long_numbers:  # orjson reads a big integer as a float: read it exactly
        try:
            value = json.loads(body)
        except UnicodeDecodeError as exc:
            return f"the request body is not UTF-8 (byte {body[exc.start]:#04x} at offset {exc.start})"
        except RecursionError:
            return _TOO_DEEP
        except ValueError:
            return None
    try:
        problem = _walk(value, "body")
    except RecursionError:
        return _TOO_DEEP
    return problem if problem is None or len(problem) < 300 else f"{problem[:120]} … {problem[-150:]}"


def _walk(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return _str_problem(value, path)
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        return f"{path} is an integer past 64 bits ({value}), which cannot be stored"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path} is {value}, which is not a JSON number"
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
