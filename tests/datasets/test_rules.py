"""The vectorised rules (pyarrow.compute) and the row-by-row explanations agree on every row."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from genloop.datasets._kinds import MESSAGES_TYPE, describe_row, kind_spec
from genloop.datasets._validate import first_bad_row, schema_problem

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string()), ("name", pa.string())])
CHAT_SCHEMA = pa.schema([("messages", pa.list_(MESSAGE))])
TEXT_SCHEMA = pa.schema([("prompt", pa.string()), ("completion", pa.string())])
PREF_SCHEMA = pa.schema([("prompt", pa.string()), ("chosen", MESSAGES_TYPE), ("rejected", MESSAGES_TYPE)])
EVAL_SCHEMA = pa.schema([("input", pa.struct([("q", pa.string())])), ("prompt", pa.string()),
                         ("messages", MESSAGES_TYPE), ("reference", pa.string())])


def msg(role: Any = "user", content: Any = "hi", name: Any = None) -> dict[str, Any]:
    return {"role": role, "content": content, "name": name}


CASES: list[tuple[str, pa.Schema, list[dict[str, Any]]]] = [
    ("chat", CHAT_SCHEMA, [
        {"messages": [msg("system"), msg(), msg("assistant", ""), msg("tool", "{}", "fn")]},
        {"messages": []}, {"messages": None}, {"messages": [msg(), None]}, {"messages": [msg(None)]},
        {"messages": [msg("bot")]}, {"messages": [msg("User")]}, {"messages": [msg("user", None)]},
        {"messages": [msg("assistant", "x", "n")]},
    ]),
    ("completion", TEXT_SCHEMA, [
        {"prompt": "p", "completion": "c"}, {"prompt": "", "completion": "c"}, {"prompt": None, "completion": "c"},
        {"prompt": "p", "completion": ""}, {"prompt": "p", "completion": None}, {"prompt": " ", "completion": "c"},
    ]),
    ("preference", PREF_SCHEMA, [
        {"prompt": "p", "chosen": [msg("assistant")], "rejected": [msg("assistant")]},
        {"prompt": "p", "chosen": [], "rejected": [msg("assistant")]},
        {"prompt": "p", "chosen": [msg("robot")], "rejected": [msg("assistant")]},
        {"prompt": "", "chosen": [msg("assistant")], "rejected": [msg("assistant")]},
        {"prompt": "p", "chosen": [msg("assistant")], "rejected": None},
    ]),
    ("eval", EVAL_SCHEMA, [
        {"input": {"q": "x"}, "prompt": None, "messages": None, "reference": None},
        {"input": None, "prompt": "p", "messages": None, "reference": "r"},
        {"input": None, "prompt": None, "messages": [msg()], "reference": None},
        {"input": None, "prompt": None, "messages": None, "reference": "r"},
        {"input": None, "prompt": "", "messages": None, "reference": "r"},
        {"input": {"q": "x"}, "prompt": None, "messages": [msg("bot")], "reference": None},
        {"input": None, "prompt": None, "messages": [], "reference": None},
    ]),
]


@pytest.mark.parametrize(("kind", "schema", "rows"), CASES, ids=[c[0] for c in CASES])
def test_vectorised_rules_match_row_explanations(kind: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    spec = kind_spec(kind)
    batch = pa.RecordBatch.from_pylist(rows, schema=schema)
    assert schema_problem(batch.schema, spec) is None
    vectorised = [first_bad_row(batch.slice(i, 1), spec) is not None for i in range(len(rows))]
    by_row = [describe_row({k: v for k, v in row.items() if v is not None or k in spec.required}, spec) is not None
              for row in rows]
    assert vectorised == by_row
    assert vectorised[0] is False and any(vectorised)
    first = next(i for i, bad in enumerate(vectorised) if bad)
    assert first_bad_row(batch, spec) == first


def test_schema_problems_name_the_column_and_what_fits() -> None:
    spec = kind_spec("chat")
    assert schema_problem(pa.schema([("messages", pa.string())]), spec) == \
        "column 'messages' has type string; it must hold lists of {role, content} messages"
    assert schema_problem(pa.schema([("text", pa.string())]), spec) == \
        "column 'messages' is missing; the data has columns: text; a chat dataset needs: messages"
    assert schema_problem(pa.schema([("reference", pa.string())]), kind_spec("eval")) == \
        "no input column; the data has columns: reference; an eval dataset needs one of: input, prompt, question, messages"
    assert schema_problem(pa.schema([]), kind_spec("generic")) == "the data has no columns"
