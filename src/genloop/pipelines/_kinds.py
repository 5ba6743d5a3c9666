"""Step kinds: what a step of each ``kind`` does, which parameters it takes and which outputs it gives.

Built-in kinds (``_builtin.py``) and third-party ones register through the same hook,
``register_pipeline_steps(register)``; ``register(name, fn, outputs=..., params=..., refs=..., cacheable=...)``
or ``register(StepKind(...))``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from genloop.errors import InvalidInput, did_you_mean

__all__ = ["OUTPUT_TYPES", "StepKind", "StepParams", "get_kind", "kinds", "ref_slots", "reset_kinds"]

#: What an output is: a version (``NAME@N``, recorded as run lineage), a run id, or any JSON value.
OUTPUT_TYPES: tuple[str, ...] = ("dataset", "model", "prompt", "deployment", "run", "value")


class StepParams(BaseModel):
    """Base of a step kind's parameter model: unknown parameters are refused (named in the error)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class StepKind:
    """One step kind.

    ``fn(ctx, params)`` does the work and returns a dict with every name in ``outputs``. ``params`` is a
    pydantic model (extra keys forbidden) the resolved parameters are validated with, or None (any dict).
    ``refs`` maps parameters that name versions (or runs) to their type (``{"dataset": "dataset"}``; a dotted path
    reaches into a nested spec, ``*`` into every item of a list: ``"spec.candidates.*.model"``): they are
    checked before anything runs, pinned to a version, recorded as the step run's inputs and hashed into the
    cache key. ``cacheable`` is the default for ``cache:`` (False for side effects: promote, notify ...).
    Version outputs are recorded as the step run's outputs (lineage: the run made them) unless ``produces`` is
    False (a step that only names existing versions).
    """

    name: str
    fn: Callable[[Any, dict[str, Any]], dict[str, Any]]
    outputs: dict[str, str] = field(default_factory=dict)
    params: type[BaseModel] | None = None
    refs: dict[str, str] = field(default_factory=dict)
    cacheable: bool = True
    description: str = ""
    available: Callable[[], str | None] | None = None  # None when usable, else why not (and how to fix)
    produces: bool = True  # False: its version outputs are versions it names (pin, promote), not ones it made

    def __post_init__(self) -> None:
        for key, kind in self.outputs.items():
            if kind not in OUTPUT_TYPES:
                raise ValueError(f"step kind {self.name!r}: output {key!r} has unknown type {kind!r}")


def ref_slots(params: Any, path: str) -> list[tuple[Any, Any]]:
    """The ``(container, key)`` pairs a ref path names in ``params`` (only those present; a list value at the
    end yields one pair per item)."""
    nodes: list[Any] = [params]
    parts = path.split(".")
    for part in parts[:-1]:
        following: list[Any] = []
        for node in nodes:
            if part == "*" and isinstance(node, list):
                following.extend(node)
            elif isinstance(node, dict) and isinstance(node.get(part), dict | list):
                following.append(node[part])
        nodes = following
    slots: list[tuple[Any, Any]] = []
    last = parts[-1]
    for node in nodes:
        items = node if last == "*" and isinstance(node, list) else [node]
        for item in items:
            if isinstance(item, dict) and last != "*" and item.get(last) is not None:
                value = item[last]
                if isinstance(value, list):
                    slots.extend((value, i) for i in range(len(value)))
                else:
                    slots.append((item, last))
    return slots


_lock = threading.Lock()
_kinds: dict[str, StepKind] | None = None


def kinds() -> dict[str, StepKind]:
    """Every registered step kind by name (built-ins and plugins), loaded once per process."""
    global _kinds
    with _lock:
        if _kinds is None:
            from genloop.plugins import collect, register_builtin

            register_builtin("genloop.pipelines._builtin")
            found: dict[str, StepKind] = {}
            for args, kwargs in collect("pipeline_steps"):
                kind = args[0] if args and isinstance(args[0], StepKind) else StepKind(*args, **kwargs)
                found[kind.name] = kind
            _kinds = found
        return _kinds


def reset_kinds() -> None:
    """Forget the loaded kinds (after registering a plugin at run time, e.g. in a test)."""
    global _kinds
    with _lock:
        _kinds = None


def get_kind(name: str, *, step: str | None = None) -> StepKind:
    """The kind called ``name``; :class:`InvalidInput` naming the step and the known kinds otherwise."""
    known = kinds()
    kind = known.get(name)
    where = f"step {step!r}: " if step else ""
    if kind is None:
        raise InvalidInput(f"{where}unknown step kind {name!r}{did_you_mean(name, list(known))}",
                           hint=f"known kinds: {', '.join(sorted(known))}; a plugin adds more through "
                                "the register_pipeline_steps hook")
    if kind.available is not None:
        problem = kind.available()
        if problem:
            raise InvalidInput(f"{where}step kind {name!r} is not available here: {problem}")
    return kind
