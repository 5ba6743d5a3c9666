"""Structured-output metrics: JSON validity and JSON Schema conformance."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from genloop.errors import InvalidInput
from genloop.evals.metrics._base import Metric, Reference, Score

__all__ = ["JsonSchema", "JsonValid", "parse_json_output"]

_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*[ \t]*\n(.*?)\n?```\s*$", re.DOTALL)


def parse_json_output(output: str, allow_fences: bool = False) -> tuple[Any, str | None]:
    """``(value, None)`` when ``output`` is JSON (optionally inside a Markdown code fence), else
    ``(None, reason)``."""
    if allow_fences:
        fenced = _FENCE.match(output)
        if fenced:
            output = fenced.group(1)
    try:
        return json.loads(output), None
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


class JsonValid(Metric):
    """1.0 when the output parses as JSON (``allow_fences``: also inside a Markdown ```json fence)."""

    name = "json_valid"

    def __init__(self, *, allow_fences: bool = False, name: str | None = None) -> None:
        super().__init__(name=name)
        self.allow_fences = bool(allow_fences)
        self._params(allow_fences=self.allow_fences)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        _, problem = parse_json_output(output, self.allow_fences)
        return Score(value=0.0 if problem else 1.0, passed=problem is None, explanation=problem)


def _path(error: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


class JsonSchema(Metric):
    """1.0 when the output is JSON that conforms to ``schema`` (any draft jsonschema knows, by its
    ``$schema``; 2020-12 by default). Without a ``schema`` parameter the item's ``schema`` field is used.
    The explanation names the most relevant error and where it is."""

    name = "json_schema"

    def __init__(self, *, schema: Mapping[str, Any] | None = None, allow_fences: bool = False,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        self.allow_fences = bool(allow_fences)
        self.validator = self._validator(schema) if schema is not None else None
        self._params(schema=schema, allow_fences=self.allow_fences)

    def _validator(self, schema: Any) -> Any:
        from jsonschema import exceptions, validators

        if not isinstance(schema, Mapping | bool):
            raise InvalidInput(f"metric {self.name!r}: a JSON Schema is an object, got {type(schema).__name__}")
        cls = validators.validator_for(schema, default=validators.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except exceptions.SchemaError as exc:
            raise InvalidInput(f"metric {self.name!r}: invalid JSON Schema: {exc.message}") from exc
        return cls(schema)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        from jsonschema.exceptions import best_match

        validator = self.validator
        if validator is None:
            schema = (item or {}).get("schema")
            if schema is None:
                raise InvalidInput(f"metric {self.name!r} has no schema: give it one, or put one in the item",
                                   hint='{"name": "json_schema", "schema": {...}}')
            validator = self._validator(schema)
        value, problem = parse_json_output(output, self.allow_fences)
        if problem:
            return Score(value=0.0, passed=False, explanation=problem)
        errors = list(validator.iter_errors(value))
        if not errors:
            return Score(value=1.0, passed=True)
        error = best_match(errors)
        return Score(value=0.0, passed=False, explanation=f"at {_path(error)}: {error.message}",
                     details={"errors": len(errors)})
