"""Without --kind, a first version takes the kind its columns evidently are, and the CLI says which."""

from __future__ import annotations

from typing import Any

import pytest

from genloop.datasets._kinds import infer_kind
from genloop.errors import InvalidInput

CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


@pytest.mark.parametrize(("columns", "kind"), [
    (["messages"], "chat"), (["messages", "id", "meta"], "chat"), (["prompt", "completion"], "completion"),
    (["prompt", "chosen", "rejected"], "preference"), (["input", "reference"], "eval"),
    (["question", "reference", "id"], "eval"), (["messages", "reference"], "eval"),
    (["text"], "generic"), (["input"], "generic"), (["messages", "input"], "generic"),
])
def test_kind_from_columns(columns: list[str], kind: str) -> None:
    assert infer_kind(columns) == kind


def test_first_version_infers_and_later_versions_follow(store: Any) -> None:
    from genloop.datasets import DatasetService

    datasets = DatasetService(store)
    assert datasets.create("talk", [CHAT]).kind == "chat"
    assert datasets.create("free", [{"text": "a"}]).kind == "generic"
    assert datasets.create("free", [{"messages": CHAT["messages"]}]).kind == "generic"  # the latest version's
    assert datasets.create("forced", [CHAT], kind="generic").kind == "generic"
    with pytest.raises(InvalidInput, match="messages"):  # inferred chat rows are validated as chat
        datasets.create("broken", [{"messages": "not a list"}])


def test_the_cli_says_which_kind_it_chose(cli: Any, tmp_path: Any) -> None:
    import json

    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps(CHAT) + "\n")
    done = cli("datasets", "create", "talk", "-f", path)
    assert done.code == 0 and done.out.splitlines() == [
        done.out.splitlines()[0], "kind chat: read from its columns; pass --kind to choose another"]
    assert "(chat, 1 row," in done.out


def test_counts_agree_with_their_nouns(cli: Any, tmp_path: Any) -> None:
    import json

    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"text": "a"}) + "\n")
    assert "(generic, 1 row," in cli("datasets", "create", "one", "-f", path).out
    shown = cli("datasets", "show", "one@1", "--head", "1").out
    assert ", 1 row, " in shown and "first 1" in shown and "rows" not in shown
