"""Dataset kinds to TRL formats, and the row-by-row checks that run before any training starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genloop.errors import InvalidInput
from genloop.tuning import TuneSpec
from genloop.tuning._data import check_kind, prepare_examples, raise_problems


@pytest.fixture(scope="module")
def tok(tiny_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_dir))


def _spec(**fields: Any) -> TuneSpec:
    return TuneSpec(**{"base": "tiny", "train": "qa", **fields})


CHAT = [{"messages": [{"role": "user", "content": "What is 1 plus 2?"}, {"role": "assistant", "content": "3."}]}]


def test_chat_rows_keep_messages_when_the_template_masks_assistant_turns(tok: Any) -> None:
    examples, problems, fmt = prepare_examples(CHAT, "chat", _spec(), tok)
    assert problems == [] and examples == CHAT
    assert fmt == {"chat_format": True, "format": "messages", "assistant_only_loss": True}


def test_chat_rows_split_at_the_last_assistant_turn_without_masks(tok: Any) -> None:
    examples, _, fmt = prepare_examples(CHAT, "chat", _spec(completion_only=False), tok)
    assert fmt["format"] == "messages" and not fmt["assistant_only_loss"]
    tok_plain = tok.__class__.from_pretrained(tok.name_or_path)
    tok_plain.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"  # no generation marks
    examples, _, fmt = prepare_examples(CHAT, "chat", _spec(), tok_plain)
    assert examples == [{"prompt": CHAT[0]["messages"][:1], "completion": CHAT[0]["messages"][1:]}]
    assert fmt["format"] == "prompt-completion"


def test_without_a_template_chat_rows_become_the_local_providers_plain_text(tok: Any) -> None:
    plain = tok.__class__.from_pretrained(tok.name_or_path)
    plain.chat_template = None
    examples, _, fmt = prepare_examples(CHAT, "chat", _spec(), plain)
    assert examples == [{"prompt": "User: What is 1 plus 2?\nAssistant:", "completion": " 3."}]
    assert fmt["chat_format"] is False
    with pytest.raises(InvalidInput, match="no chat template"):
        prepare_examples(CHAT, "chat", _spec(chat_format=True), plain)


def test_completion_and_preference_rows_become_chat_turns_with_a_template(tok: Any) -> None:
    rows = [{"prompt": "Q?", "completion": "A."}]
    examples, _, _ = prepare_examples(rows, "completion", _spec(), tok)
    assert examples == [{"prompt": [{"role": "user", "content": "Q?"}],
                         "completion": [{"role": "assistant", "content": "A."}]}]
    examples, _, _ = prepare_examples(rows, "completion", _spec(chat_format=False), tok)
    assert examples == rows
    prefs = [{"prompt": "Q?", "chosen": "yes", "rejected": "no"}]
    examples, _, fmt = prepare_examples(prefs, "preference", _spec(method="dpo"), tok)
    assert examples[0]["chosen"] == [{"role": "assistant", "content": "yes"}]
    assert fmt["format"] == "preference" and not fmt["assistant_only_loss"]


def test_every_bad_row_is_reported_with_its_number(tok: Any) -> None:
    prefs = [{"prompt": "Q?", "chosen": "same", "rejected": "same"}, {"prompt": "Q?", "chosen": "a", "rejected": "b"},
             {"prompt": "long " * 200, "chosen": "a", "rejected": "b"}]
    _, problems, _ = prepare_examples(prefs, "preference", _spec(method="dpo", max_length=64), tok)
    assert [(p.row, p.field) for p in problems] == [(1, "chosen"), (3, "*")]
    assert "chosen equals rejected" in problems[0].message and "longer than max_length 64" in problems[1].message
    with pytest.raises(InvalidInput) as err:
        raise_problems(problems, "prefs@1", "dpo", limit=1)
    message = str(err.value)
    assert "dataset prefs@1: 2 rows cannot train dpo: row 1 (chosen)" in message and "and 1 more" in message
    assert "raise max_length or set truncate: true" in message and "import a new dataset version" in message
    assert err.value.details["problems"][1]["row"] == 3
    _, problems, _ = prepare_examples(prefs, "preference", _spec(method="dpo", max_length=64, truncate=True), tok)
    assert [p.row for p in problems] == [1]  # truncation accepted: only the useless pair remains


def test_empty_completions_and_missing_assistant_turns(tok: Any) -> None:
    rows = [{"messages": [{"role": "user", "content": "hi"}]},
            {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "  "}]}]
    _, problems, _ = prepare_examples(rows, "chat", _spec(), tok)
    assert [(p.row, p.message) for p in problems] == [
        (1, "no assistant message to learn from"), (2, "empty completion: the last assistant message is empty")]
    _, problems, _ = prepare_examples([{"prompt": "Q", "completion": " "}], "completion", _spec(), tok)
    assert problems[0].message == "empty completion"


class _Version:
    def __init__(self, kind: str, rows: int = 3) -> None:
        self.kind, self.num_rows, self.name = kind, rows, f"{kind}-set"
        self.ref = f"{self.name}@1"


def test_a_generic_dataset_is_imported_again_as_the_kind_the_method_reads() -> None:
    """Not "use another method": the rows are chat rows imported without --kind; say how to import them."""
    with pytest.raises(InvalidInput) as caught:
        check_kind("lora", _Version("generic"))
    assert caught.value.hint_for("cli") == ("import the rows again as chat: genloop datasets create generic-set "
                                            "-f FILE --kind chat")
    assert "client.datasets.create('generic-set', data=rows, kind='chat')" in str(caught.value)
    with pytest.raises(InvalidInput, match="use method dpo or kto for a preference dataset"):
        check_kind("lora", _Version("preference"))


def test_a_bad_spec_fails_before_the_training_libraries_are_imported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    code = ("import sys\n"
            "from genloop.errors import NotFound\n"
            "from genloop.store import Store\n"
            "from genloop.tuning import TuningService\n"
            "try:\n"
            "    TuningService(Store()).run({'base': 'ghost@1', 'train': 'qa@1', 'method': 'lora'})\n"
            "except NotFound as exc:\n"
            "    print(exc.message)\n"
            "print(sorted(m for m in ('torch', 'transformers', 'trl', 'peft') if m in sys.modules))\n")
    env = {**__import__("os").environ, "GENLOOP_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.splitlines() == ["base model 'ghost@1' does not resolve: model 'ghost' does not exist in project "
                                "'default'", "[]"], out


@pytest.mark.parametrize(("method", "kind"), [("lora", "preference"), ("sft", "eval"), ("dpo", "chat"),
                                              ("kto", "completion"), ("qlora", "generic")])
def test_a_dataset_of_the_wrong_kind_is_refused(method: str, kind: str) -> None:
    with pytest.raises(InvalidInput, match=f"is a {kind} dataset; method {method} needs"):
        check_kind(method, _Version(kind))


def test_an_empty_dataset_is_refused() -> None:
    with pytest.raises(InvalidInput, match="has no rows"):
        check_kind("lora", _Version("chat", rows=0))
