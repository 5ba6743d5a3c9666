"""Jinja2 templates, sandboxed: analyse them when a version is created, render them on the hot path.

Templates run in an :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with strict undefined:

- a variable the caller did not pass is an error naming it (no silent empty string);
- template code cannot reach Python internals (``''.__class__``, ``obj.__globals__``, ``str.format``
  tricks): attributes starting with ``_`` are refused when the version is created, and anything that
  slips past (a key computed at render time) raises a sandbox ``SecurityError`` at render time;
- containers passed in cannot be mutated, ``range`` is capped, and ``*``/``**`` may not build huge
  values;
- every render has hard limits (:mod:`genloop.prompts._limits`): loop iterations and calls, wall time,
  output size, the size of any value an operation builds, and ``lipsum``; crossing one is an
  :class:`~genloop.errors.InvalidInput` naming the limit. :func:`is_light_version` tells a caller on an
  event loop whether a version only substitutes values (render it inline) or may run long (render it
  in a worker thread).

Extra variables (passed but not used) are allowed and ignored, so an evaluation can pass a whole
dataset row. Compiled templates are cached per content hash; rendering is thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment as _JinjaEnvironment
from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import ImmutableSandboxedEnvironment

from genloop.errors import Hint, InvalidInput
from genloop.prompts import _limits
from genloop.prompts._limits import MAX_OUTPUT, RenderBudget, RenderLimit
from genloop.prompts._schemas import ChatMessage, PromptVersion, RenderedPrompt

__all__ = ["TemplateProblem", "analyse_template", "is_light_version", "render_version"]

_MAX_SIZE = 1_000_000  # longest string or list that ``*`` may build
_MAX_EXPONENT = 1_000
_MAX_COMPILED = 4096


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, plus a guard on ``*`` and ``**`` so a template cannot exhaust memory or CPU."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large (the limit is {_MAX_EXPONENT})")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int) and len(seq) * count > _MAX_SIZE:
                    raise SecurityError(f"repetition would build a value longer than {_MAX_SIZE:,}")
        if (operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
                and len(left) + len(right) > MAX_OUTPUT):
            raise RenderLimit(f"+ would build a value longer than {MAX_OUTPUT:,}")
        return super().call_binop(context, operator, left, right)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _limits.check_call(obj, args, kwargs)
        return _limits.sized(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = value.__self__

        def checked(*args: Any, **kwargs: Any) -> Any:
            _limits.check_format(text, (*args, *kwargs.values()))
            return wrapped(*args, **kwargs)

        return checked

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _limits.instrument(super()._parse(source, name, filename))


ENV = _Environment(undefined=StrictUndefined, autoescape=False)
ENV.globals.update(genloop_each=_limits.ticking, genloop_sized=_limits.sized, lipsum=_limits.bounded_lipsum)
ENV.filters = _limits.guard_filters(dict(_JinjaEnvironment().filters))
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

    __slots__ = ("light", "parts")

    parts: list[tuple[str | None, str, Template]]

    def __init__(self, version: PromptVersion) -> None:
        sources = ([(m.role, f"messages[{i}].content", m.content) for i, m in enumerate(version.messages or [])]
                   if version.template_type == "chat" else [(None, "template", version.template or "")])
        self.parts = [(role, field, ENV.from_string(text)) for role, field, text in sources]
        self.light = all(_limits.is_light(ENV.parse(text)) for _role, _field, text in sources)


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


def is_light_version(version: PromptVersion) -> bool:
    """Whether rendering ``version`` only substitutes values (microseconds), so an event loop may do it inline."""
    return _compiled_for(version).light


def _render(template: Template, variables: Mapping[str, Any], light: bool = False) -> str:
    """Render under a fresh budget, stopping as soon as the output passes ``MAX_OUTPUT``.

    A ``light`` template (values substituted, nothing computed) cannot outgrow its source and variables,
    so it renders directly, at plain Jinja2 speed.
    """
    if light:
        return template.render(variables)
    token = _limits.budget().set(RenderBudget())
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderLimit(f"the rendered text passed {MAX_OUTPUT:,} characters")
            out.append(chunk)
        return "".join(out)
    finally:
        _limits.budget().reset(token)


def render_version(version: PromptVersion, variables: Mapping[str, Any] | None) -> RenderedPrompt:
    """Render ``version`` with ``variables``; errors are :class:`InvalidInput` naming the problem.

    Rendering stops with an error when it crosses a limit of :mod:`genloop.prompts._limits` (iterations,
    time, output size, value size), so no template can hold a thread or fill memory for long.
    """
    ref = version.ref
    if variables is None:
        variables = {}
    if not isinstance(variables, Mapping) or not all(isinstance(k, str) for k in variables):
        raise InvalidInput(f"variables for prompt {ref!r} must be a mapping of name to value",
                           hint="pass a dict such as {'question': '...'}")
    missing = [name for name in version.variables if name not in variables]
    outputs: list[tuple[str | None, str]] = []
    compiled = _compiled_for(version)
    for role, field, template in compiled.parts:
        try:
            outputs.append((role, _render(template, variables, compiled.light)))
        except RenderLimit as exc:
            raise InvalidInput(f"prompt {ref!r} exceeded a rendering limit in {field}: {exc}",
                               hint="simplify the template (fewer or smaller loops, shorter values)") from None
        except RecursionError:
            raise InvalidInput(f"prompt {ref!r} recursed too deeply in {field}",
                               hint="a macro or recursive loop must end well before 100 levels") from None
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
    values = ", ".join(f'"{n}": ...' for n in missing)
    hint = Hint(cli="pass " + " ".join(f"--var {n}=..." for n in missing),
                sdk="pass variables={" + ", ".join(f"{n!r}: ..." for n in missing) + "}",
                rest=f'send "variables": {{{values}}}',
                gateway=f'send "genloop_variables": {{{values}}} (or metadata.variables)')
    return InvalidInput(f"prompt {ref!r} needs {noun} {names}", hint=hint)
