"""The check registry, built from the plugin manager: built-ins and third-party checks arrive the same way,
through ``register_guardrail_checks(register)`` (see ``genloop.hookspecs``)."""

from __future__ import annotations

import inspect
from typing import Any

from genloop import plugins
from genloop.errors import Conflict, NotFound
from genloop.guardrails._base import Check

__all__ = ["accepted_params", "available_checks", "get_check"]


def available_checks() -> dict[str, type[Check]]:
    """Every registered check class by name, from all plugins (built-ins included).

    A plugin calls ``register(name, check_class)`` (or ``register(check_class)`` to use its ``name``).
    Two plugins registering the same name is a :class:`~genloop.errors.Conflict`.
    """
    checks: dict[str, type[Check]] = {}
    for args, kwargs in plugins.collect("guardrail_checks"):
        name, cls = _unpack(args, kwargs)
        if name in checks and checks[name] is not cls:
            raise Conflict(
                f"two plugins register a guardrail check named {name!r} "
                f"({_qualname(checks[name])} and {_qualname(cls)})",
                hint="uninstall one plugin, or register the check under another name",
            )
        checks[name] = cls
    return dict(sorted(checks.items()))


def get_check(name: str) -> type[Check]:
    """The check class registered as ``name``; :class:`~genloop.errors.NotFound` lists the known names."""
    checks = available_checks()
    try:
        return checks[name]
    except KeyError:
        raise NotFound(f"no guardrail check named {name!r}", hint=f"known checks: {', '.join(checks)}") from None


def accepted_params(cls: type[Check]) -> set[str] | None:
    """The parameter names a check class accepts (besides ``action`` and ``label``), following ``**kwargs``
    up the class hierarchy; ``None`` when a constructor accepts anything."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names - {"action", "label"}
        if klass is Check:
            break
    return None


def _unpack(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, type[Check]]:
    values = [*args, *kwargs.values()]
    cls = values[-1] if values else None
    name = values[0] if len(values) == 2 else getattr(cls, "name", None)
    if not (isinstance(cls, type) and issubclass(cls, Check)):
        raise TypeError(f"register_guardrail_checks: expected register(name, Check subclass), got {values!r}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_guardrail_checks: {_qualname(cls)} needs a name (set `name` or pass one)")
    return name, cls


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
