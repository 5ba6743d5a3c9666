"""The pipeline spec: steps with parameters whose values may reference pipeline params, the trigger, and
other steps' outputs; the same spec in YAML and in Python (:class:`Pipeline`, a small builder).

    params: {deployment: bot}
    steps:
      - name: export
        kind: feedback_export
        params: {kind: sft, name: bot-sft, deployment: "${params.deployment}", since: 7d}
      - name: split
        kind: split
        params: {dataset: "${steps.export.dataset}", test_size: 0.2}

An expression is ``${steps.STEP.OUTPUT}``, ``${params.NAME}`` or ``${trigger.KEY}``. A value that is one
expression takes the referenced value as is (any type); an expression inside a longer string is formatted in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genloop.errors import Hint, InvalidInput

__all__ = ["EXPRESSION", "Pipeline", "PipelineSpec", "StepHandle", "StepSpec", "expressions", "spec_hash"]

#: ``${root.a.b}``: roots are ``steps``, ``params`` and ``trigger``.
EXPRESSION = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_.-]+)?)\s*\}")
_STEP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


class StepSpec(BaseModel):
    """One step: a ``kind`` (built-in or registered by a plugin) with its ``params``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Unique in the pipeline: a letter, then letters, digits, '_' or '-' (max 64)")
    kind: str = Field(description="A step kind: see `genloop pipelines kinds`")
    params: dict[str, Any] = Field(default_factory=dict, description="The kind's parameters; may hold ${...}")
    depends_on: list[str] = Field(default_factory=list, description="Steps to run first besides those referenced")
    cache: bool | None = Field(default=None, description="Skip when unchanged (default: the kind's own default)")


class PipelineSpec(BaseModel):
    """A whole pipeline: its parameters (with defaults) and its steps."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters and their default values")
    steps: list[StepSpec] = Field(min_length=1)

    @classmethod
    def load(cls, source: PipelineSpec | dict[str, Any] | str | Path) -> PipelineSpec:
        """A spec from a spec, a dict, YAML text or a :class:`~pathlib.Path` to a YAML file; :class:`InvalidInput`
        names what is wrong. A string is always YAML text, never a file name: a spec sent over REST must not make
        the server read a file of its choosing."""
        display = "pipeline spec"
        if isinstance(source, PipelineSpec):
            _check_bounds(source.model_dump(), display)
            return source
        if isinstance(source, str) and "\n" not in source and source.strip().endswith((".yaml", ".yml", ".json")):
            raise InvalidInput(f"the pipeline spec {source[:200]!r} looks like a file name; a spec is given as its "
                               "YAML text or a mapping",
                               hint=Hint(cli="pass the file: genloop pipelines create NAME FILE",
                                         sdk="pass the file's text, or a pathlib.Path to it",
                                         rest="send the file's contents in 'spec'"))
        if isinstance(source, Path):
            path = source
            if not path.is_file():
                raise InvalidInput(f"pipeline file {str(path)!r} does not exist", hint="pass a YAML file path")
            display, source = path.name, path.read_text(encoding="utf-8")
        if isinstance(source, str):
            try:
                source = yaml.safe_load(source)
            except yaml.YAMLError as exc:
                raise InvalidInput(f"{display} is not valid YAML: {exc}", hint="check the indentation") from exc
        if not isinstance(source, dict):
            raise InvalidInput(f"{display} must be a mapping with 'steps'", hint="write steps: [{name, kind, params}]")
        _check_bounds(source, display)
        try:
            return cls.model_validate(source)
        except ValidationError as exc:
            problems = "; ".join(f"{_loc(e['loc'], source)}: {e['msg']}" for e in exc.errors()[:10])
            raise InvalidInput(f"invalid {display}: {problems}",
                               hint="a pipeline is {description, params, steps: [{name, kind, params, depends_on}]}"
                               ) from exc

    def step(self, name: str) -> StepSpec:
        for step in self.steps:
            if step.name == name:
                return step
        raise InvalidInput(f"the pipeline has no step {name!r}",
                           hint=f"its steps: {', '.join(s.name for s in self.steps)}")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_defaults=True), sort_keys=False)


#: Bounds of a spec: steps, nesting of values, and text no store can keep (NUL, lone surrogates).
MAX_STEPS = 500
MAX_DEPTH = 32


def _check_bounds(source: dict[str, Any], display: str) -> None:
    steps = source.get("steps")
    if isinstance(steps, list) and len(steps) > MAX_STEPS:
        raise InvalidInput(f"{display} has {len(steps)} steps; at most {MAX_STEPS}",
                           hint="split it into pipelines that trigger one another")
    pending: list[tuple[Any, int]] = [(source, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{display} nests values deeper than {MAX_DEPTH} levels",
                               hint="flatten the parameters")
        if isinstance(value, dict):
            pending.extend((v, depth + 1) for v in value.values())
            pending.extend((k, depth + 1) for k in value)
        elif isinstance(value, list | tuple):
            pending.extend((v, depth + 1) for v in value)
        elif isinstance(value, str) and ("\x00" in value or _SURROGATE.search(value)):
            raise InvalidInput(f"{display} holds text with a NUL character or a lone surrogate: {value[:40]!r}",
                               hint="remove the control character")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _loc(loc: tuple[Any, ...], source: dict[str, Any]) -> str:
    """``steps[2] (split).params`` rather than ``steps.2.params``."""
    parts: list[str] = []
    node: Any = source
    for item in loc:
        if isinstance(item, int):
            name = node[item].get("name") if isinstance(node, list) and item < len(node) and isinstance(
                node[item], dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{item}]" + (f" ({name})" if name else "")]
        else:
            parts.append(str(item))
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts) or "spec"


def spec_hash(spec: PipelineSpec) -> str:
    """``sha256:`` of the canonical JSON of the spec (identical specs share a version)."""
    canonical = orjson.dumps(spec.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def expressions(value: Any) -> Iterator[tuple[str, str]]:
    """Every ``(root, path)`` referenced anywhere in ``value`` (``("steps", "tune.model")``)."""
    if isinstance(value, str):
        for match in EXPRESSION.finditer(value):
            yield match.group(1), match.group(2).lstrip(".")
    elif isinstance(value, dict):
        for item in value.values():
            yield from expressions(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from expressions(item)


def valid_step_name(name: str) -> bool:
    return bool(_STEP_NAME.fullmatch(name))


class StepHandle:
    """A step added to a :class:`Pipeline`; ``handle["model"]`` (or ``handle.output("model")``) is the
    expression that references one of its outputs."""

    def __init__(self, name: str) -> None:
        self.name = name

    def output(self, key: str) -> str:
        return f"${{steps.{self.name}.{key}}}"

    __getitem__ = output

    def __repr__(self) -> str:
        return f"StepHandle({self.name!r})"


class Pipeline:
    """Build a :class:`PipelineSpec` in Python (the same spec as the YAML)::

        p = Pipeline("retrain", description="weekly")
        days = p.param("since", "7d")
        export = p.step("export", "feedback_export", kind="sft", name="bot-sft", since=days)
        split = p.step("split", "split", dataset=export["dataset"])
        client.pipelines.create("retrain", p.spec())
    """

    def __init__(self, name: str | None = None, *, description: str = "") -> None:
        self.name = name
        self.description = description
        self._params: dict[str, Any] = {}
        self._steps: list[StepSpec] = []

    def param(self, name: str, default: Any = None) -> str:
        """Declare a pipeline parameter; returns the expression that reads it."""
        self._params[name] = default
        return f"${{params.{name}}}"

    def step(self, name: str, kind: str, /, *, depends_on: list[StepHandle | str] | None = None,
             cache: bool | None = None, **params: Any) -> StepHandle:
        """Add a step of ``kind`` with ``params`` (a parameter may be called ``name`` or ``kind`` too);
        returns its handle."""
        after = [d.name if isinstance(d, StepHandle) else d for d in depends_on or []]
        self._steps.append(StepSpec(name=name, kind=kind, params=params, depends_on=after, cache=cache))
        return StepHandle(name)

    def spec(self) -> PipelineSpec:
        return PipelineSpec(description=self.description, params=dict(self._params), steps=list(self._steps))

    def to_yaml(self) -> str:
        return self.spec().to_yaml()
