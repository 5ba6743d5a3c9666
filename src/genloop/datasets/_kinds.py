"""Dataset kinds: the fields each kind needs, and the row-by-row check that explains a bad row.

The import path validates whole batches with pyarrow (``_validate.py``); when a batch fails, the row it
points at is explained here in plain words, so both paths must agree on what is valid:

- ``chat``: ``messages``, a non-empty list of ``{role, content}`` (roles system, user, assistant, tool;
  content a string, possibly empty; extra keys such as ``name`` are kept).
- ``completion``: ``prompt`` and ``completion``, non-empty strings.
- ``preference``: ``prompt``, ``chosen`` and ``rejected``, each a non-empty string or a list of messages.
- ``eval``: at least one input field set (``input``: any value; ``prompt``/``question``: text;
  ``messages``: a message list); ``reference`` is optional and free-form.
- ``generic``: any rows with at least one column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

__all__ = ["KIND_SPECS", "MESSAGES_TYPE", "ROLES", "KindSpec", "describe_row", "infer_kind", "json_type_name",
           "kind_spec"]

ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
MESSAGES_TYPE = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))

# Field rules: "text" (non-empty string), "messages" (list of {role, content}), "text|messages",
# "value" (anything non-null; a string must be non-empty).
TEXT, MESSAGES, TEXT_OR_MESSAGES, VALUE = "text", "messages", "text|messages", "value"
_RULE_HELP = {
    TEXT: "a non-empty string",
    MESSAGES: "a non-empty list of {role, content} messages",
    TEXT_OR_MESSAGES: "a non-empty string or a list of {role, content} messages",
    VALUE: "a value (text or an object)",
}


@dataclass(frozen=True)
class KindSpec:
    """What one kind requires: ``required`` fields every row sets, or ``any_of`` fields of which one is set."""

    name: str
    rules: dict[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()

    def explicit_types(self) -> dict[str, pa.DataType]:
        """Types given to the JSON and CSV readers for the known fields, so inference cannot drift."""
        types: dict[str, pa.DataType] = {}
        for name in self.required:
            if self.rules[name] == TEXT:
                types[name] = pa.string()
            elif self.rules[name] == MESSAGES:
                types[name] = MESSAGES_TYPE
        return types

    def needs(self) -> str:
        if self.any_of:
            return f"one of: {', '.join(self.any_of)}"
        return ", ".join(self.required) or "at least one column"


KIND_SPECS: dict[str, KindSpec] = {
    "chat": KindSpec("chat", {"messages": MESSAGES}, required=("messages",)),
    "completion": KindSpec("completion", {"prompt": TEXT, "completion": TEXT}, required=("prompt", "completion")),
    "preference": KindSpec(
        "preference",
        {"prompt": TEXT_OR_MESSAGES, "chosen": TEXT_OR_MESSAGES, "rejected": TEXT_OR_MESSAGES},
        required=("prompt", "chosen", "rejected"),
    ),
    "eval": KindSpec(
        "eval",
        {"input": VALUE, "prompt": TEXT, "question": TEXT, "messages": MESSAGES},
        any_of=("input", "prompt", "question", "messages"),
    ),
    "generic": KindSpec("generic"),
}


def infer_kind(columns: list[str] | set[str]) -> str:
    """The kind rows with these columns evidently are, or ``generic`` when it is not clear.

    ``prompt``/``chosen``/``rejected`` is preference; ``prompt``/``completion`` completion; a ``reference``
    beside an input field (``input``, ``question``, ``prompt``, ``messages``) eval; ``messages`` alone (no
    reference or other input field) chat. The rows are then validated as that kind.
    """
    cols = set(columns)
    if {"prompt", "chosen", "rejected"} <= cols:
        return "preference"
    if {"prompt", "completion"} <= cols:
        return "completion"
    if "reference" in cols and cols & {"input", "question", "prompt", "messages"}:
        return "eval"
    if "messages" in cols and not cols & {"input", "question", "prompt", "reference", "completion"}:
        return "chat"
    return "generic"


def kind_spec(kind: str) -> KindSpec:
    from genloop.errors import InvalidInput

    spec = KIND_SPECS.get(kind)
    if spec is None:
        raise InvalidInput(f"unknown dataset kind {kind!r}", hint=f"use one of: {', '.join(KIND_SPECS)}")
    return spec


def json_type_name(value: Any) -> str:
    """How a value reads in an error message: 'a string', 'a number', 'a list', 'an object', 'null'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def describe_row(row: Any, spec: KindSpec, noun: str = "field") -> str | None:
    """The first problem of one row for ``spec`` in words ("messages[2].role is 'bot'; valid roles: ..."), or None."""
    if not isinstance(row, dict):
        return f"expected an object, got {json_type_name(row)}"
    for name in spec.required:
        if name not in row:
            has = ", ".join(map(str, row)) or "none"
            return f"{noun} {name!r} is missing; the row has {noun}s: {has}"
    for name, rule in spec.rules.items():
        if name in row and (row[name] is not None or name in spec.required):
            problem = _check_value(name, row[name], rule, noun)
            if problem:
                return problem
    if spec.any_of and all(row.get(name) is None for name in spec.any_of):
        return f"no input {noun} is set; an eval row needs one of: {', '.join(spec.any_of)}"
    return None


def _check_value(name: str, value: Any, rule: str, noun: str) -> str | None:
    if value is None:
        return f"{noun} {name!r} is null; it must be {_RULE_HELP[rule]}"
    if rule == VALUE:
        return f"{noun} {name!r} is empty; it must be {_RULE_HELP[rule]}" if value == "" else None
    if isinstance(value, str) and rule in (TEXT, TEXT_OR_MESSAGES):
        return None if value else f"{noun} {name!r} is empty; it must be {_RULE_HELP[rule]}"
    if isinstance(value, list) and rule in (MESSAGES, TEXT_OR_MESSAGES):
        return check_messages(name, value)
    return f"{noun} {name!r} is {json_type_name(value)}; it must be {_RULE_HELP[rule]}"


def check_messages(name: str, messages: list[Any]) -> str | None:
    """The first problem of a message list, naming the message by index."""
    if not messages:
        return f"{name!r} is an empty list; it needs at least one {{role, content}} message"
    valid = ", ".join(ROLES)
    for i, message in enumerate(messages):
        where = f"{name}[{i}]"
        if not isinstance(message, dict):
            return f"{where} is {json_type_name(message)}; each message must be an object with role and content"
        role = message.get("role")
        if role is None:
            return f"{where}.role is missing; valid roles: {valid}"
        if role not in ROLES:
            shown = repr(role) if isinstance(role, str) else json_type_name(role)
            return f"{where}.role is {shown}; valid roles: {valid}"
        content = message.get("content")
        if not isinstance(content, str):
            state = "missing" if content is None else json_type_name(content)
            return f"{where}.content is {state}; it must be a string"
    return None
