"""Hard limits on rendering a template, so that no template (or variable) can exhaust the server.

Each render runs under a :class:`RenderBudget` (a context variable): at most ``MAX_ITERATIONS`` loop items
and calls, ``RENDER_SECONDS`` of wall time, ``MAX_OUTPUT`` characters of output, and no single value built
longer than ``MAX_VALUE`` (string repetition, ``center``/``ljust``/``format`` widths, ``replace`` and
``join`` results are checked *before* they are built). ``lipsum`` is capped. Crossing a limit raises
:class:`RenderLimit` (a sandbox ``SecurityError``), which rendering reports as a clear error.

Loop iterations are counted by wrapping each ``{% for %}``'s iterable when the template is compiled
(:func:`instrument`), so even a loop whose body prints nothing is bounded.
"""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.utils import generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

__all__ = ["MAX_ITERATIONS", "MAX_OUTPUT", "MAX_VALUE", "RENDER_SECONDS", "RenderBudget", "RenderLimit",
           "check_call", "check_format", "guard_filters", "instrument", "is_light", "bounded_lipsum", "sized", "ticking"]

MAX_ITERATIONS = 1_000_000  # loop items, filter calls and function calls in one render
MAX_OUTPUT = 16 * 1024 * 1024  # characters one render may produce (or one value may hold)
MAX_VALUE = 1_000_000  # longest value one operation may *build* from a short input (repetition, widths)
RENDER_SECONDS = 2.0

_NESTED = re.compile(r"\{[^{}]*:[^{}]*\{")
_WIDTH = re.compile(r"%[-+ #0]*(\*|\d+)|\{[^{}]*:[^{}]*?(\d+)[^{}]*\}")


class RenderLimit(SecurityError):
    """A render crossed one of the limits; the message names the limit."""


class RenderBudget:
    """What one render may still spend."""

    __slots__ = ("deadline", "ticks")

    def __init__(self, seconds: float = RENDER_SECONDS) -> None:
        self.deadline = time.monotonic() + seconds
        self.ticks = 0


_budget: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar("genloop_render_budget", default=None)


def budget() -> contextvars.ContextVar[RenderBudget | None]:
    return _budget


def tick() -> None:
    """Count one step of the current render; raise when it is over its iteration or time budget."""
    current = _budget.get()
    if current is None:
        return
    current.ticks += 1
    if current.ticks > MAX_ITERATIONS:
        raise RenderLimit(f"the template ran more than {MAX_ITERATIONS:,} loop iterations and calls")
    if not current.ticks & 63 and time.monotonic() > current.deadline:
        raise RenderLimit(f"the template took longer than {RENDER_SECONDS:g} s to render")


def ticking(iterable: Iterable[Any]) -> Iterator[Any]:
    """``iterable``, counting each item against the render's budget (wraps every ``for`` loop)."""
    for item in iterable:
        tick()
        yield item


def sized(value: Any) -> Any:
    """``value``, unless it is a string or list longer than ``MAX_OUTPUT``."""
    if isinstance(value, str | list | tuple) and len(value) > MAX_OUTPUT:
        raise RenderLimit(f"the template built a value of {len(value):,} items (the limit is {MAX_OUTPUT:,})")
    return value


def _too_big(what: str, size: int) -> RenderLimit:
    return RenderLimit(f"{what} would build a value of {size:,} characters (the limit is {MAX_VALUE:,})")


def _check_width(what: str, width: Any) -> None:
    if isinstance(width, int) and width > MAX_VALUE:
        raise _too_big(what, width)


def check_format(text: str, args: tuple[Any, ...]) -> None:
    """Refuse a ``%``/``str.format`` pattern whose field width would build a huge value."""
    if _NESTED.search(text):  # a width taken from the arguments: '{:{}}'
        for arg in args:
            for value in (arg.values() if isinstance(arg, dict) else (arg,)):
                _check_width("a format width", value)
    for match in _WIDTH.finditer(text):
        width = match.group(1) or match.group(2)
        if width == "*":
            for arg in args:
                _check_width("a format width", arg)
        elif width is not None and len(width) > 6:
            raise _too_big("a format width", int(width))


def _check_replace(text: str, old: Any, new: Any) -> None:
    if isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
        count = text.count(old) if old else len(text) + 1
        size = len(text) + count * (len(new) - len(old))
        if size > max(MAX_VALUE, len(text)):
            raise _too_big("replace", size)


def _check_join(items: Any, sep: Any = "") -> None:
    if isinstance(items, list | tuple):
        size = sum(len(x) if isinstance(x, str) else 8 for x in items) + len(items) * len(str(sep))
        if size > MAX_OUTPUT:
            raise _too_big("join", size)


def check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Before a call from a template: count it, and refuse a string method that would build a huge value."""
    tick()
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(obj, "__name__", "")
    if name in ("ljust", "rjust", "center", "zfill", "expandtabs"):
        for arg in (*args, *kwargs.values()):
            _check_width(f"str.{name}", arg if name != "expandtabs" else (arg * owner.count("\t")
                                                                          if isinstance(arg, int) else arg))
    elif name in ("format", "format_map"):
        check_format(owner, (*args, *kwargs.values()))
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])
    elif name == "join" and args:
        _check_join(args[0], owner)


def _pre_indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    per_line = width if isinstance(width, int) else len(str(width))
    _check_width("indent", per_line * (str(value).count("\n") + 1))


def _pre_replace(value: Any, old: Any = "", new: Any = "", *args: Any, **kwargs: Any) -> None:
    _check_replace(str(value), old, new)


def _pre_join(value: Any, d: Any = "", *args: Any, **kwargs: Any) -> None:
    _check_join(value, kwargs.get("d", d))


_PRECHECKS: dict[str, Callable[..., None]] = {
    "center": lambda value, width=80, *a, **k: _check_width("center", width),
    "indent": _pre_indent,
    "format": lambda value, *args, **kwargs: check_format(str(value), (*args, *kwargs.values())),
    "replace": _pre_replace,
    "join": _pre_join,
}


def guard_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Every filter counted against the budget and its result size-checked; the wide ones checked first."""
    out = {}
    for name, fn in filters.items():
        out[name] = _guarded(fn, _PRECHECKS.get(name))
    return out


def _guarded(fn: Callable[..., Any], precheck: Callable[..., None] | None) -> Callable[..., Any]:
    skip = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0  # the context Jinja passes first

    @functools.wraps(fn)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        tick()
        if precheck is not None and len(args) > skip:
            precheck(*args[skip:], **kwargs)
        return sized(fn(*args, **kwargs))

    return filter_


def bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """Jinja's ``lipsum``, capped at 20 paragraphs of at most 200 words."""
    if n > 20 or max > 200 or min > max:
        raise RenderLimit("lipsum is limited to 20 paragraphs of at most 200 words")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)  # type: ignore[no-any-return]


class _Instrument(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(nodes.Name("genloop_each", "load"), [node.iter], [], None, None,
                               lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.Name("genloop_sized", "load"), [node], [], None, None, lineno=node.lineno)


def instrument(ast: nodes.Template) -> nodes.Template:
    """Count every ``for`` loop's items and size-check every ``~`` concatenation of ``ast`` (in place)."""
    _Instrument().visit(ast)
    return ast


_LIGHT_NODES = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.Call, nodes.Filter, nodes.Mul,
                nodes.Pow, nodes.Concat, nodes.Add, nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


def is_light(ast: nodes.Template) -> bool:
    """Whether ``ast`` only substitutes values (no loops, calls, filters or arithmetic that could build much)."""
    return next(ast.find_all(_LIGHT_NODES), None) is None
