"""The text of dataset rows, as Arrow arrays: which columns hold text, and one string per row.

A *text field* is a string column, or a message-list column (``list<struct<role, content>>``), whose
text is its messages' contents joined by newlines. A row's *document* (what deduplication and
decontamination compare) joins its text fields; a row's *prompt* (what the prompt map shows) is the
first user message of a chat, else the ``prompt``, ``question`` or ``input`` column.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from genloop.datasets import DatasetVersion
from genloop.errors import InvalidInput

__all__ = ["document_text", "field_text", "is_messages", "prompt_text", "text_fields"]

PROMPT_COLUMNS = ("prompt", "question", "input", "text")


def is_messages(dtype: pa.DataType) -> bool:
    """Whether ``dtype`` is a list of structs with a string ``content`` field (a chat)."""
    if not (pa.types.is_list(dtype) or pa.types.is_large_list(dtype)):
        return False
    item = dtype.value_type
    return pa.types.is_struct(item) and item.get_field_index("content") >= 0


def _is_text(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or is_messages(dtype)


def text_fields(schema: pa.Schema, columns: Sequence[str] | None = None, *, version: DatasetVersion | None = None,
                ) -> list[str]:
    """The text fields of ``schema`` (or ``columns``, checked to exist and hold text)."""
    if columns:
        if version is not None:
            version.require_columns(list(columns))
        names = list(columns)
        for name in names:
            if name not in schema.names:
                raise InvalidInput(f"no column {name!r}", hint=f"the columns are: {', '.join(schema.names)}")
            if not _is_text(schema.field(name).type):
                raise InvalidInput(f"column {name!r} is {schema.field(name).type}, not text",
                                   hint="choose string or message-list columns")
        return names
    names = [f.name for f in schema if _is_text(f.type)]
    if not names:
        raise InvalidInput("the dataset has no text column (string or message list)",
                           hint=f"its columns are: {', '.join(schema.names)}")
    return names


def field_text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One string per row: the column itself, or a message list's contents joined by newlines (nulls as "")."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if is_messages(column.type):
        # ``values`` and ``offsets`` ignore a slice's start together, so a sliced column works too
        contents = pc.struct_field(column.values, "content").cast(pa.string()).fill_null("")
        lists_type = pa.LargeListArray if pa.types.is_large_list(column.type) else pa.ListArray
        joined = pc.binary_join(lists_type.from_arrays(column.offsets, contents), "\n")
        return joined.fill_null("")
    return column.cast(pa.string()).fill_null("")


def document_text(batch: pa.RecordBatch | pa.Table, fields: Sequence[str]) -> pa.Array:
    """Each row's text fields joined by newlines: what deduplication and decontamination compare."""
    parts = [field_text(batch.column(name)) for name in fields]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "\n")


def prompt_text(batch: pa.RecordBatch | pa.Table, column: str | None = None) -> pa.Array:
    """Each row's prompt: ``column``, else the first user message of ``messages``, else a prompt-like column."""
    names = batch.schema.names
    if column is not None:
        if column not in names:
            raise InvalidInput(f"no column {column!r}", hint=f"the columns are: {', '.join(names)}")
        if is_messages(batch.schema.field(column).type):
            return first_user_message(batch.column(column))
        return field_text(batch.column(column))
    if "messages" in names and is_messages(batch.schema.field("messages").type):
        return first_user_message(batch.column("messages"))
    for name in PROMPT_COLUMNS:
        if name in names:
            dtype = batch.schema.field(name).type
            if is_messages(dtype):
                return first_user_message(batch.column(name))
            if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
                return field_text(batch.column(name))
    raise InvalidInput("cannot tell which column holds the prompt",
                       hint=f"pass column=...; the columns are: {', '.join(names)}")


def first_user_message(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The content of each chat's first ``user`` message ("" when it has none)."""
    out: list[str] = []
    for messages in column.to_pylist():
        text = ""
        for message in messages or ():
            if message.get("role") == "user":
                text = message.get("content") or ""
                break
        out.append(text)
    return pa.array(out, pa.string())
