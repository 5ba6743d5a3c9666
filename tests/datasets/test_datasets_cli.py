"""`genloop datasets ...` end to end through the real entry point, on the test store."""

from __future__ import annotations

import json
from pathlib import Path


def test_cli_commands_and_errors(cli, tmp_path: Path, write_jsonl, chat_rows,  # type: ignore[no-untyped-def]
                                                    many_rows) -> None:
    data = write_jsonl(chat_rows, "chat.jsonl")
    result = cli("datasets", "create", "chat", "--file", data, "--kind", "chat", "-m", "first", "--tag", "sft",
                 "--tag", "golden")
    assert result.code == 0, result.err
    assert result.out.startswith("created chat@1 (chat, 3 rows, sha256:")
    assert cli("datasets", "create", "chat", "--file", data).out.startswith("unchanged: identical to chat@1")

    listed = cli("datasets", "list", "--json").json()
    assert [(d["name"], d["latest_version"], d["num_rows"]) for d in listed["items"]] == [("chat", 1, 3)]
    shown = cli("datasets", "show", "chat@1", "--head", "2", "--json").json()
    assert shown["tags"] == ["sft", "golden"] and shown["message"] == "first" and len(shown["head"]) == 2
    assert "sha256:" in cli("datasets", "show", "chat", "--head", "1").out

    out = tmp_path / "export.csv"
    assert cli("datasets", "export", "chat", "--out", out).code == 0
    assert out.read_text().splitlines()[0] == '"id","messages"'

    qa = write_jsonl(many_rows(50), "qa.jsonl")
    assert cli("datasets", "create", "qa", "-f", qa, "-k", "completion").code == 0
    split = cli("datasets", "split", "qa", "--test-size", "0.2", "--seed", "42", "--json").json()
    assert (split["train"]["num_rows"], split["test"]["num_rows"]) == (40, 10)
    assert cli("datasets", "split", "qa", "--test-size", "5", "--train-name", "a", "--test-name", "b",
               "-p", "default").out.startswith("train a@1 (45 rows), test b@1 (5 rows)")

    assert cli("datasets", "tag", "qa", "few-shot").out.strip() == "qa@1 tags: few-shot"
    assert cli("datasets", "untag", "qa@1", "few-shot").out.strip() == "qa@1 tags: -"
    assert cli("datasets", "label", "qa@1", "production").out.strip() == "qa@production -> qa@1"
    assert cli("datasets", "unlabel", "qa", "production").code == 0
    assert cli("datasets", "list", "--project", "other").code == 0

    bad = write_jsonl([], "bad.jsonl", raw_lines=['{"messages": [{"role": "bot", "content": "x"}]}'])
    result = cli("datasets", "create", "chat", "--file", bad, "--kind", "chat")
    assert result.code == 1
    assert result.err.strip() == ("error: bad.jsonl line 1: messages[0].role is 'bot'; "
                                  "valid roles: system, user, assistant, tool")
    missing = cli("datasets", "show", "nope")
    assert missing.code == 1 and missing.err.startswith("error: dataset 'nope' does not exist in project 'default'")
    assert json.loads(cli("datasets", "versions", "chat", "--json").out)["total"] == 1
