"""Prompt content, validated: one function checks what keyword arguments, REST bodies and prompt.yaml give.

Each problem is an :class:`InvalidInput` naming the field (``messages[1].content``), and for a file
also the file and line, and saying what would be valid. Nothing is written until this passes, so bad
input never leaves a partial version behind.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genloop.errors import InvalidInput
from genloop.prompts._template import TemplateProblem, analyse_template
from genloop.prompts._yaml import Located, Path_, parse_yaml
from genloop.refs import parse_ref

__all__ = ["MESSAGE_KEYS", "ROLES", "VALID_KEYS", "PromptSpec", "build_spec", "content_hash", "spec_from_yaml"]

VALID_KEYS = ("messages", "template", "variables", "model", "params", "response_schema", "description")
MESSAGE_KEYS = ("role", "content")
ROLES = ("system", "developer", "user", "assistant", "tool")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PROVIDER_MODEL = re.compile(r"^[a-z][a-z0-9_-]*:\S+$")


@dataclass(frozen=True)
class PromptSpec:
    """Validated content of a prompt version (plus the prompt's description, which is not content)."""

    template_type: str
    messages: list[dict[str, str]] | None
    template: str | None
    variables: list[str]
    model: str | None
    params: dict[str, Any] = field(default_factory=dict)
    response_schema: dict[str, Any] | None = None
    description: str | None = None

    def content(self) -> dict[str, Any]:
        """The fields that make a version's identity (the commit message is not one of them)."""
        return {"template_type": self.template_type, "messages": self.messages, "template": self.template,
                "variables": self.variables, "model": self.model, "params": self.params,
                "response_schema": self.response_schema}

    @property
    def content_hash(self) -> str:
        return content_hash(self.content())


def content_hash(content: Mapping[str, Any]) -> str:
    """``sha256:`` of the canonical JSON (sorted keys, no spaces, UTF-8) of a version's content."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def spec_from_yaml(text: str, filename: str = "<prompt.yaml>") -> PromptSpec:
    """Parse and validate prompt.yaml text; errors name ``filename``, the line and the field."""
    data, where = parse_yaml(text, filename)
    return build_spec(data, where)


def build_spec(data: Any, where: Located | None = None) -> PromptSpec:
    """Validate a prompt given as a mapping with the keys of prompt.yaml; return a :class:`PromptSpec`."""
    where = where or Located()
    if not isinstance(data, Mapping):
        raise where.error((), f"a prompt must be a mapping, not {_kind(data)}",
                          hint=f"use the keys: {', '.join(VALID_KEYS)}")
    for key in data:
        if key not in VALID_KEYS:
            raise where.error((str(key),), f"unknown key {key!r}", hint=f"valid keys: {', '.join(VALID_KEYS)}")
    messages, template = data.get("messages"), data.get("template")
    if (messages is None) == (template is None):
        problem = ("both 'messages' and 'template' given" if messages is not None
                   else "neither 'messages' nor 'template' given")
        raise where.error((), problem,
                          hint="give exactly one: 'messages' (a chat template) or 'template' (a text template)")
    used: set[str] = set()
    clean_messages: list[dict[str, str]] | None = None
    if messages is not None:
        clean_messages = _messages(messages, where, used)
    else:
        if not isinstance(template, str) or not template.strip():
            raise where.error(("template",), f"must be a non-empty string, not {_kind(template)}")
        used |= _analyse(template, ("template",), where)
    variables = sorted(used)
    _check_declared(data.get("variables"), used, where)
    return PromptSpec(
        template_type="chat" if clean_messages is not None else "text",
        messages=clean_messages,
        template=template if clean_messages is None else None,
        variables=variables,
        model=_model(data.get("model"), where),
        params=_params(data.get("params"), where),
        response_schema=_response_schema(data.get("response_schema"), where),
        description=_description(data.get("description"), where),
    )


def _messages(messages: Any, where: Located, used: set[str]) -> list[dict[str, str]]:
    if not isinstance(messages, list) or not messages:
        raise where.error(("messages",), f"must be a non-empty list of {{role, content}}, not {_kind(messages)}",
                          hint="e.g. messages: [{role: user, content: 'Hello {{ name }}'}]")
    clean = []
    for i, message in enumerate(messages):
        path: Path_ = ("messages", i)
        if not isinstance(message, Mapping):
            raise where.error(path, f"must be a mapping with 'role' and 'content', not {_kind(message)}")
        for key in message:
            if key not in MESSAGE_KEYS:
                raise where.error(path + (str(key),), f"unknown key {key!r}",
                                  hint=f"valid keys: {', '.join(MESSAGE_KEYS)}")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            problem = "is missing" if role is None else f"{role!r} is not a known role"
            raise where.error(path + ("role",), f"role {problem}", hint=f"valid roles: {', '.join(ROLES)}")
        if not isinstance(content, str):
            raise where.error(path + ("content",), f"must be a string, not {_kind(content)}")
        used |= _analyse(content, path + ("content",), where)
        clean.append({"role": role, "content": content})
    return clean


def _analyse(source: str, path: Path_, where: Located) -> frozenset[str]:
    try:
        return analyse_template(source)
    except TemplateProblem as exc:
        start = where.value_lines.get(path)
        line = start + exc.lineno - 1 if start is not None and exc.lineno else None
        suffix = f" (template line {exc.lineno})" if exc.lineno else ""
        raise where.error(path, exc.message + suffix, line=line,
                          hint="see https://jinja.palletsprojects.com/en/stable/templates/") from None


def _check_declared(declared: Any, used: set[str], where: Located) -> None:
    if declared is None:
        return
    if not isinstance(declared, list) or not all(isinstance(v, str) for v in declared):
        raise where.error(("variables",), f"must be a list of names, not {_kind(declared)}",
                          hint="e.g. variables: [product, question], or leave it out to infer it")
    for name in declared:
        if not _IDENTIFIER.fullmatch(name):
            raise where.error(("variables",), f"{name!r} is not a valid variable name",
                              hint="use letters, digits and '_', not starting with a digit")
    inferred = f"variables: [{', '.join(sorted(used))}]"
    undeclared = sorted(used - set(declared))
    if undeclared:
        raise where.error(("variables",), f"the template uses undeclared {_names(undeclared)}",
                          hint=f"declare them ({inferred}), or leave 'variables' out to infer it")
    unused = sorted(set(declared) - used)
    if unused:
        raise where.error(("variables",), f"declared {_names(unused)} not used by the template",
                          hint=f"remove them ({inferred}), or use them in the template")


def _model(model: Any, where: Located) -> str | None:
    if model is None:
        return None
    if not isinstance(model, str) or not model.strip():
        raise where.error(("model",), f"must be a string, not {_kind(model)}",
                          hint="write provider:model (openai:gpt-4o-mini) or a registry NAME@ref")
    if ":" in model:
        if not _PROVIDER_MODEL.fullmatch(model):
            raise where.error(("model",), f"{model!r} is not a valid provider:model reference",
                              hint="write provider:model, e.g. openai:gpt-4o-mini")
        return model
    try:
        parse_ref(model)
    except InvalidInput as exc:
        raise where.error(("model",), exc.message,
                          hint="write provider:model (openai:gpt-4o-mini) or a registry NAME@ref") from None
    return model


def _params(params: Any, where: Located) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise where.error(("params",), f"must be a mapping of parameter name to value, not {_kind(params)}",
                          hint="e.g. params: {temperature: 0.2, max_tokens: 256}")
    for key, value in params.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise where.error(("params", key), f"value {value!r} is not JSON (a number, string, bool, list or map)",
                              hint="quote dates and other special values") from None
    return dict(params)


def _response_schema(schema: Any, where: Located) -> dict[str, Any] | None:
    if schema is None:
        return None
    if not isinstance(schema, Mapping):
        raise where.error(("response_schema",), f"must be a JSON Schema object, not {_kind(schema)}",
                          hint="e.g. response_schema: {type: object, properties: {answer: {type: string}}}")
    from jsonschema.exceptions import SchemaError  # imported here: only versions with a schema need it
    from jsonschema.validators import validator_for

    try:
        json.dumps(schema, allow_nan=False)
        validator_for(schema).check_schema(schema)
    except (TypeError, ValueError):
        raise where.error(("response_schema",), "is not JSON", hint="quote dates and other special values") from None
    except SchemaError as exc:
        at = "/".join(str(p) for p in exc.path) or "the top level"
        raise where.error(("response_schema",), f"is not a valid JSON Schema: {exc.message} (at {at})",
                          hint="see https://json-schema.org/understanding-json-schema/") from None
    return dict(schema)


def _description(description: Any, where: Located) -> str | None:
    if description is not None and not isinstance(description, str):
        raise where.error(("description",), f"must be a string, not {_kind(description)}")
    return description


def _names(names: list[str]) -> str:
    return ("variable " if len(names) == 1 else "variables ") + ", ".join(repr(n) for n in names)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
