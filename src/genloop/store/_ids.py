"""Short ids: any unique prefix of a hex id (run, evaluation run, trace) stands for the whole id, as in git."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import InvalidInput

__all__ = ["MIN_PREFIX", "expand_id"]

#: Shortest prefix looked up (git's minimum too); shorter strings must match a whole id.
MIN_PREFIX = 4
_HEX = re.compile(r"^[0-9a-f]+$")


def expand_id(session: Session, column: Any, value: str, what: str, *where: Any) -> str:
    """The whole id ``value`` abbreviates among the rows ``where`` selects, or ``value`` itself.

    An exact id wins; otherwise a hex prefix of at least :data:`MIN_PREFIX` characters matching exactly one
    id gives that id. A prefix matching several is an :class:`InvalidInput` listing them; one matching none
    returns ``value`` unchanged, so the caller raises its usual not-found error. The lookup is a range scan
    on the id's index (``id >= prefix AND id < prefix+1``), the same on SQLite and PostgreSQL.
    """
    if not isinstance(value, str):
        return value
    wanted = value.strip().lower()
    if not wanted or session.scalar(select(column).where(column == wanted, *where)) is not None:
        return wanted or value
    if len(wanted) < MIN_PREFIX or not _HEX.fullmatch(wanted):
        return value
    # the next hex digit ('9' -> 'a', 'f' -> 'g'), never punctuation: a locale collation may sort ':' first
    upper = wanted[:-1] + "123456789abcdefg"["0123456789abcdef".index(wanted[-1])]
    found = list(session.scalars(select(column).where(column >= wanted, column < upper, *where)
                                 .order_by(column).limit(11)))
    if len(found) == 1:
        return str(found[0])
    if found:
        shown = ", ".join(str(f) for f in found[:10]) + (", ..." if len(found) > 10 else "")
        raise InvalidInput(f"{what} id {value!r} is ambiguous: it starts {len(found) if len(found) <= 10 else 'over 10'} "
                           f"ids ({shown})", hint="give more of the id")
    return value
