"""Jinja2 templates, sandboxed: analyse them when a version is created, render them on the hot path.

Templates run in an :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with strict undefined:

- a variable the caller did not pass is an error naming it (no silent empty string);
- template code cannot reach Python internals (``''.__class__``, ``obj.__globals__``, ``str.format``
  tricks): attributes starting with ``_`` are refused when the version is created, and anything that
  slips past (a key computed at render time) raises a sandbox ``SecurityError`` at render time;
- containers passed in cannot be mutated, ``range`` is capped, and ``*``/``**`` may not build huge
  values.

Extra variables (passed but not used) are allowed and ignored, so an evaluation can pass a whole
dataset row. Compiled templates are cached per content hash; rendering is thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import ImmutableSandboxedEnvironment

from genloop.errors import InvalidInput
from genloop.prompts._schemas import ChatMessage, PromptVersion, RenderedPrompt

__all__ = ["TemplateProblem", "analyse_template", "render_version"]

_MAX_SIZE = 1_000_000  # longest string or list that ``*`` may build
_MAX_EXPONENT = 1_000
_MAX_COMPILED = 4096


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, plus a guard on ``*`` and ``**`` so a template cannot exhaust memory or CPU."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large (the limit is {_MAX_EXPONENT})")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int) and len(seq) * count > _MAX_SIZE:
                    raise SecurityError(f"repetition would build a value longer than {_MAX_SIZE:,}")
        return super().call_binop(context, operator, left, right)


ENV = _Environment(undefined=StrictUndefined, autoescape=False)
_GLOBALS = frozenset(ENV.globals)


class TemplateProblem(Exception):
    """A template that cannot be accepted; ``lineno`` is the line within the template."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno


def analyse_template(source: str) -> frozenset[str]:
    """The variables ``source`` uses; raise :class:`TemplateProblem` for a syntax error or unsafe code."""
    try:
        ast = ENV.parse(source)
        ENV.compile(ast)  # unknown filters and tests surface here, not at parse time
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno) from None
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name = _reached_name(node)
        if name is not None and name.startswith("_"):
            raise TemplateProblem(
                f"template reaches the private attribute {name!r}; templates may not reach Python internals",
                node.lineno,
            )
    return frozenset(find_undeclared_variables(ast) - _GLOBALS)


def _reached_name(node: nodes.Node) -> str | None:
    """The attribute name a ``x.attr``, ``x['attr']`` or ``x|attr('attr')`` node reaches, if constant."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    if isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
        first = node.args[0]
        if isinstance(first, nodes.Const) and isinstance(first.value, str):
            return first.value
    return None


# -- rendering -----------------------------------------------------------------------------------


class _Compiled:
    """A version's templates, compiled once: ``parts`` is ``[(role or None, field, template)]``."""

    __slots__ = ("parts",)

    parts: list[tuple[str | None, str, Template]]

    def __init__(self, version: PromptVersion) -> None:
        if version.template_type == "chat":
            self.parts = [(m.role, f"messages[{i}].content", ENV.from_string(m.content))
                          for i, m in enumerate(version.messages or [])]
        else:
            self.parts = [(None, "template", ENV.from_string(version.template or ""))]


_compiled: dict[str, _Compiled] = {}
_compiled_lock = threading.Lock()


def _compiled_for(version: PromptVersion) -> _Compiled:
    compiled = _compiled.get(version.content_hash)
    if compiled is None:
        compiled = _Compiled(version)
        with _compiled_lock:
            if len(_compiled) >= _MAX_COMPILED:
                _compiled.clear()
            _compiled[version.content_hash] = compiled
    return compiled


def render_version(version: PromptVersion, variables: Mapping[str, Any] | None) -> RenderedPrompt:
    """Render ``version`` with ``variables``; errors are :class:`InvalidInput` naming the problem."""
    ref = version.ref
    if variables is None:
        variables = {}
    if not isinstance(variables, Mapping) or not all(isinstance(k, str) for k in variables):
        raise InvalidInput(f"variables for prompt {ref!r} must be a mapping of name to value",
                           hint="pass a dict such as {'question': '...'}")
    missing = [name for name in version.variables if name not in variables]
    outputs: list[tuple[str | None, str]] = []
    for role, field, template in _compiled_for(version).parts:
        try:
            outputs.append((role, template.render(variables)))
        except SecurityError as exc:
            raise InvalidInput(f"prompt {ref!r} tried an unsafe operation in {field}: {exc}",
                               hint="templates may not reach Python internals or build huge values") from None
        except UndefinedError as exc:
            if missing:
                raise _missing_error(ref, missing) from None
            raise InvalidInput(f"prompt {ref!r} failed to render {field}: {exc}",
                               hint="check the structure of the values passed") from None
        except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
            raise InvalidInput(f"prompt {ref!r} failed to render {field}: {exc}",
                               hint="check the values passed for its variables") from None
    if version.template_type == "chat":
        messages = [ChatMessage(role=role or "user", content=text) for role, text in outputs]
        text = None
    else:
        messages, text = None, outputs[0][1]
    return RenderedPrompt(ref=ref, template_type=version.template_type, messages=messages, text=text,
                          model=version.model, params=version.params, response_schema=version.response_schema,
                          content_hash=version.content_hash)


def _missing_error(ref: str, missing: list[str]) -> InvalidInput:
    names = ", ".join(repr(n) for n in missing)
    noun = "variable" if len(missing) == 1 else "variables"
    hint = "pass " + " ".join(f"--var {n}=..." for n in missing)
    return InvalidInput(f"prompt {ref!r} needs {noun} {names}", hint=hint)
