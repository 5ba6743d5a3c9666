"""Bad input fails with one precise error (file, line or row, field, what is valid), the same in-process and
over REST, and leaves nothing behind: no version, no artifact, no temporary file, no moved label."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import genloop.datasets._jsonl as jsonl_module
from genloop.errors import GenLoopError, InvalidInput

ROLES = "valid roles: system, user, assistant, tool"


def _cases(tmp_path: Path, write_jsonl: Callable[..., Path], write_csv: Callable[..., Path],
           write_parquet: Callable[..., Path], chat_rows: list[dict[str, Any]],
           completion_rows: list[dict[str, Any]]) -> list[tuple[Any, str, str]]:
    """(data, kind, expected message) for every kind of bad input."""
    import datasets as hf

    good_chat = '{"messages": [{"role": "user", "content": "hi"}]}'
    bot = '{"messages": [{"role": "user", "content": "hi"}, {"role": "bot", "content": "yo"}]}'
    many = [{"prompt": f"p{i}", "completion": "c", "score": i} for i in range(3000)]
    return [
        (write_jsonl([], "bad.jsonl", raw_lines=['{"prompt": "a", "completion": "b"}', "", '{"prompt": "x",']),
         "completion", "bad.jsonl line 3: invalid JSON (unexpected end of data at the end of the line)"),
        (write_jsonl([], "chat.jsonl", raw_lines=[good_chat, bot]), "chat",
         f"chat.jsonl line 2: messages[1].role is 'bot'; {ROLES}"),
        (write_jsonl([], "blank.jsonl", raw_lines=[good_chat, "   ", bot]), "chat",
         f"blank.jsonl line 3: messages[1].role is 'bot'; {ROLES}"),
        (write_jsonl([{"messages": [{"role": "user", "content": 5}]}], "num.jsonl"), "chat",
         "num.jsonl line 1: messages[0].content is a number; it must be a string"),
        (write_jsonl([{"messages": []}], "nomsg.jsonl"), "chat",
         "nomsg.jsonl line 1: 'messages' is an empty list; it needs at least one {role, content} message"),
        (write_jsonl([{"prompt": "x", "answer": "y"}], "missing.jsonl"), "completion",
         "missing.jsonl line 1: field 'completion' is missing; the row has fields: prompt, answer"),
        (write_jsonl([{"prompt": "q", "chosen": 3, "rejected": "r"}], "pref.jsonl"), "preference",
         "pref.jsonl line 1: field 'chosen' is a number; it must be a non-empty string or a list of "
         "{role, content} messages"),
        (write_jsonl([{"question": "q"}, {"reference": "r"}], "eval.jsonl"), "eval",
         "eval.jsonl line 2: no input field is set; an eval row needs one of: input, prompt, question, messages"),
        (write_jsonl([*many, {"prompt": "p", "completion": "c", "score": "high"}], "score.jsonl"), "completion",
         "score.jsonl line 3001: field 'score' is a string, but earlier rows hold int64"),
        (write_jsonl([], "empty.jsonl", raw_lines=[""]), "generic", "empty.jsonl has no rows; "
         "a dataset needs at least one row"),
        (write_csv(["prompt", "completion"], [["a", "b"], ["c"]], "short.csv"), "completion",
         "short.csv row 2 (line 3): column 'completion' is missing; the file has columns: prompt, completion"),
        (write_csv(["prompt", "answer"], [["a", "b"]], "noc.csv"), "completion",
         "noc.csv line 1 (header): column 'completion' is missing; the file has columns: prompt, answer; "
         "a completion dataset needs: prompt, completion"),
        (write_csv(["prompt", "completion"], [["a", "b"], ["multi\nline", ""]], "empty.csv"), "completion",
         "empty.csv row 2 (line 3): column 'completion' is empty; it must be a non-empty string"),
        (write_csv(["messages"], [["hi"]], "chat.csv"), "chat",
         "chat.csv row 1 (line 2): column 'messages' is a string; it must be a non-empty list of {role, content} "
         "messages; CSV cannot hold lists of messages; use JSON Lines or Parquet for chat and message data"),
        ([completion_rows[0], {"prompt": "", "completion": "x"}], "completion",
         "row 2: field 'prompt' is empty; it must be a non-empty string"),
        ([completion_rows[0], ["not", "a", "dict"]], "completion", "row 2: expected an object (a dict), got a list"),
        ([], "generic", "the list of rows is empty; a dataset needs at least one row"),
        (write_parquet([{"prompt": "a", "answer": "b"}], "p.parquet"), "completion",
         "p.parquet: column 'completion' is missing; the data has columns: prompt, answer; "
         "a completion dataset needs: prompt, completion"),
        (pa.table({"prompt": ["a", "b"], "completion": ["x", None]}), "completion",
         "table row 2: column 'completion' is null; it must be a non-empty string"),
        (pa.table({"prompt": [1, 2], "completion": ["x", "y"]}), "completion",
         "table: column 'prompt' has type int64; it must hold text (string)"),
        (hf.Dataset.from_list(chat_rows[:1] + [{"id": 9, "messages": [{"role": "robot", "content": "x"}]}]), "chat",
         f"dataset row 2: messages[0].role is 'robot'; {ROLES}"),
        (hf.DatasetDict({"train": hf.Dataset.from_list(chat_rows)}), "chat",
         "got a DatasetDict with splits train; pass one split; e.g. data['train']"),
        (chat_rows, "sft", "unknown dataset kind 'sft'; use one of: chat, completion, preference, eval, generic"),
        (tmp_path / "nope.jsonl", "chat", f"file {str(tmp_path / 'nope.jsonl')!r} does not exist; check the path"),
        (write_jsonl(chat_rows, "data.txt"), "chat", "cannot tell the format of 'data.txt' from its extension; "
         "name it .jsonl, .csv or .parquet, or pass format='jsonl', 'csv' or 'parquet'"),
        ({"a": 1}, "generic", "cannot import dict as a dataset; pass a path (.jsonl, .csv, .parquet, or a "
         "save_to_disk folder), a list of dicts, a pyarrow.Table or a datasets.Dataset"),
    ]


def test_bad_input_fails_precisely_and_leaves_nothing_behind(  # type: ignore[no-untyped-def]
        client, store, tmp_path: Path, write_jsonl, write_csv, write_parquet, monkeypatch: pytest.MonkeyPatch,
        chat_rows, completion_rows, files_under) -> None:
    monkeypatch.setattr(jsonl_module, "BLOCK_SIZE", 4096)  # so a type that changes late falls in a later block
    client.datasets.create("keep", completion_rows, kind="completion")
    keep = client.datasets.label("keep@1", "production")
    artifacts = files_under(Path(store.settings.resolved_artifacts_uri))
    failures = []
    for data, kind, expected in _cases(tmp_path, write_jsonl, write_csv, write_parquet, chat_rows, completion_rows):
        with pytest.raises(InvalidInput) as caught:
            client.datasets.create("keep", data, kind=kind)
        if str(caught.value) != expected:
            failures.append(f"{expected!r}\n   got {str(caught.value)!r}")
    assert not failures, "\n".join(failures)
    assert client.datasets.get("keep") == keep
    assert client.datasets.get("keep@production").version == 1
    assert client.datasets.versions("keep").total == 1
    assert files_under(Path(store.settings.resolved_artifacts_uri)) == artifacts
    assert files_under(store.settings.resolved_home / "tmp") == []
    with pytest.raises(InvalidInput, match="invalid dataset name 'bad/name'"):
        client.datasets.create("bad/name", chat_rows, kind="chat")


def test_a_failed_transaction_removes_the_moved_artifact(store, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                         chat_rows, files_under) -> None:
    from genloop.datasets import DatasetService, _commit

    service = DatasetService(store)
    service.create("kept", chat_rows, kind="chat")
    before = files_under(Path(store.settings.resolved_artifacts_uri))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise GenLoopError("the database went away after the artifact was moved")

    monkeypatch.setattr(_commit, "to_schema", broken)  # fails inside the transaction, after the move
    with pytest.raises(GenLoopError, match="went away"):
        service.create("kept", chat_rows[:1], kind="chat")
    monkeypatch.undo()
    assert files_under(Path(store.settings.resolved_artifacts_uri)) == before
    assert files_under(store.settings.resolved_home / "tmp") == []
    assert service.versions("kept").total == 1
