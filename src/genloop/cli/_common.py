"""What every CLI command shares: the client, --project/--json options, tables and JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

__all__ = ["JsonOpt", "ProjectOpt", "console", "count", "err_console", "get_client", "print_json", "print_table"]

#: Width when the output is a file, a pipe or a CI log: wide enough that nothing wraps (tables stay whole,
#: commands stay one copyable line); COLUMNS, when set, still wins.
PIPE_WIDTH = 100_000


def _width(stderr: bool) -> int | None:
    """COLUMNS when set; None (Rich asks the terminal) on a terminal; else :data:`PIPE_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = sys.stderr if stderr else sys.stdout
    return None if hasattr(stream, "isatty") and stream.isatty() else PIPE_WIDTH


def fit_consoles() -> None:
    """Size both consoles for the streams and COLUMNS of now (``main`` calls it per invocation: a process that
    runs several commands, as the tests do, must not keep the width of the first one's environment)."""
    for target, stderr in ((console, False), (err_console, True)):
        target._width = _width(stderr)  # Rich's own field: None makes it ask the terminal at each print


console = Console(width=_width(False))
err_console = Console(stderr=True, width=_width(True))

ProjectOpt = Annotated[str, typer.Option("--project", "-p", help="Project to work in.", envvar="GENLOOP_PROJECT")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def count(n: int, word: str) -> str:
    """``1 row``, ``2,400 rows``: a number with its noun in the right number."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def get_client(project: str = "default") -> Any:
    """A Client on GENLOOP_SERVER_URL when set, else on the local store."""
    from genloop.client import Client

    return Client(project=project)


def to_jsonable(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(o) for o in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    return obj


def print_json(obj: Any) -> None:
    """Print ``obj`` (schemas, lists, dicts) as indented JSON on stdout, without Rich markup."""
    typer.echo(json.dumps(to_jsonable(obj), indent=2, default=str, ensure_ascii=False))


def print_table(rows: Iterable[Any], columns: Sequence[str], *, title: str | None = None) -> None:
    """Print objects or dicts as a table with the given columns (attribute or key names)."""
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column) if isinstance(row, dict) else getattr(row, column, None)
            cells.append(_fmt(value))
        table.add_row(*cells)
    console.print(table)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="seconds")
    return str(value)
