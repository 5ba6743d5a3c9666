"""Vectorised validation of record batches against a kind, with pyarrow.compute.

:func:`schema_problem` checks the columns once per schema (present, right type); :func:`first_bad_row`
finds the first row of a batch that breaks a rule, without building Python objects. The words for what
is wrong come from :func:`genloop.datasets._kinds.describe_row` on that one row, so the rules here must
match the rules there (tests/datasets/test_validation.py runs both on the same bad rows).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from genloop.datasets._kinds import MESSAGES, ROLES, TEXT, TEXT_OR_MESSAGES, VALUE, KindSpec

__all__ = ["first_bad_row", "schema_problem"]

_ROLE_SET = pa.array(ROLES, pa.string())


def schema_problem(schema: pa.Schema, spec: KindSpec, noun: str = "column") -> str | None:
    """What makes this schema unusable for ``spec`` (a missing column, a wrong type), or None."""
    names = schema.names
    if not names:
        return "the data has no columns"
    have = ", ".join(names)
    for name in spec.required:
        if name not in names:
            return f"{noun} {name!r} is missing; the data has {noun}s: {have}; a {spec.name} dataset needs: {spec.needs()}"
    if spec.any_of and not any(name in names for name in spec.any_of):
        return f"no input {noun}; the data has {noun}s: {have}; an eval dataset needs {spec.needs()}"
    for name, rule in spec.rules.items():
        if name in names and not _type_fits(schema.field(name).type, rule):
            return f"{noun} {name!r} has type {schema.field(name).type}; it must hold {_TYPE_HELP[rule]}"
    return None


_TYPE_HELP = {
    TEXT: "text (string)",
    MESSAGES: "lists of {role, content} messages",
    TEXT_OR_MESSAGES: "text (string) or lists of {role, content} messages",
    VALUE: "values",
}


def _type_fits(t: pa.DataType, rule: str) -> bool:
    if pa.types.is_null(t) or rule == VALUE:
        return True
    if rule == TEXT:
        return pa.types.is_string(t)
    if rule == MESSAGES:
        return _is_messages(t)
    return pa.types.is_string(t) or _is_messages(t)


def _is_messages(t: pa.DataType) -> bool:
    if not pa.types.is_list(t) or not pa.types.is_struct(t.value_type):
        return False
    item = t.value_type
    for name in ("role", "content"):
        index = item.get_field_index(name)
        if index < 0 or not (pa.types.is_string(item.field(index).type) or pa.types.is_null(item.field(index).type)):
            return False
    return True


def first_bad_row(batch: pa.RecordBatch, spec: KindSpec) -> int | None:
    """Index of the first row of ``batch`` that breaks a rule of ``spec`` (schema already checked), or None."""
    n = batch.num_rows
    if not spec.rules or n == 0:
        return None
    bad = np.zeros(n, dtype=bool)
    names = batch.schema.names
    for name, rule in spec.rules.items():
        if name not in names:
            continue
        column = batch.column(name)
        if name in spec.required:
            bad |= _bools(column.is_null())
        bad |= _rule_bad(column, rule)
    if spec.any_of:
        unset = np.ones(n, dtype=bool)
        for name in spec.any_of:
            if name in names:
                unset &= _bools(batch.column(name).is_null())
        bad |= unset
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


def _bools(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _rule_bad(column: pa.Array, rule: str) -> np.ndarray:
    """True where a non-null value breaks ``rule`` (nulls are judged by the caller)."""
    t = column.type
    if pa.types.is_null(t):
        return np.zeros(len(column), dtype=bool)
    if pa.types.is_string(t):
        return _bools(pc.fill_null(pc.equal(pc.binary_length(column), 0), False))
    if rule in (MESSAGES, TEXT_OR_MESSAGES):
        return _messages_bad(column)
    return np.zeros(len(column), dtype=bool)


def _messages_bad(column: pa.Array) -> np.ndarray:
    """Per row: an empty list, or a message that is null, has a role outside ROLES, or no string content."""
    bad = _bools(pc.fill_null(pc.equal(pc.list_value_length(column), 0), False))
    flat = pc.list_flatten(column)
    if len(flat) == 0:
        return bad
    parents = pc.list_parent_indices(column).to_numpy(zero_copy_only=False)
    children = flat.flatten()  # child arrays with the message's own nulls merged in
    item = flat.type
    role = pc.cast(children[item.get_field_index("role")], pa.string())
    content = children[item.get_field_index("content")]
    elem_bad = ~_bools(pc.fill_null(pc.is_in(role, value_set=_ROLE_SET), False))
    elem_bad |= _bools(content.is_null())
    if elem_bad.any():
        bad[parents[elem_bad]] = True
    return bad
