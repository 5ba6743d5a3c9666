"""Dataset versions to TRL examples, checked row by row before any training starts.

Kinds map to TRL's formats: ``chat`` -> ``messages`` (or a conversational ``prompt``/``completion`` split at
the last assistant turn when the chat template cannot mask assistant tokens), ``completion`` ->
``prompt``/``completion``, ``preference`` -> ``prompt``/``chosen``/``rejected``. With a chat template,
completion and preference rows become chat turns, so the tuned model answers through the same template the
``local`` provider applies; without one, chat rows become the provider's plain ``User:/Assistant:`` text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from genloop.errors import Hint, InvalidInput
from genloop.providers._local import plain_transcript
from genloop.tuning._spec import PREFERENCE_METHODS, TuneSpec

__all__ = ["ACCEPTED_KINDS", "Problem", "check_kind", "prepare_examples", "raise_problems"]

ACCEPTED_KINDS: dict[str, tuple[str, ...]] = {"sft": ("chat", "completion"), "lora": ("chat", "completion"),
                                              "qlora": ("chat", "completion"), "dpo": ("preference",),
                                              "kto": ("preference",)}


@dataclass(frozen=True)
class Problem:
    """One bad row: its 1-based number, the field at fault and what is wrong."""

    row: int
    field: str
    message: str


def _kind_hint(method: str, version: Any, accepted: tuple[str, ...]) -> Hint | str:
    """How to fix a kind mismatch: import the rows again as the kind they are, or use the method that fits."""
    if version.kind in ("generic", "eval"):  # rows of another shape: import them as what the method reads
        kind = accepted[0]
        return Hint(cli=f"import the rows again as {kind}: genloop datasets create {version.name} -f FILE "
                        f"--kind {kind}",
                    sdk=f"import the rows again as {kind}: client.datasets.create({version.name!r}, data=rows, "
                        f"kind={kind!r})",
                    rest=f'import the rows again as {kind}: POST .../datasets with "kind": "{kind}"')
    other = "dpo or kto" if version.kind == "preference" else "sft, lora or qlora"
    return f"use method {other} for a {version.kind} dataset, or pick a {' or '.join(accepted)} dataset version"


def check_kind(method: str, version: Any, role: str = "training") -> None:
    """Refuse a dataset whose kind the method cannot learn from."""
    accepted = ACCEPTED_KINDS[method]
    if version.kind not in accepted:
        wanted = " or ".join(accepted)
        raise InvalidInput(f"{role} dataset {version.ref} is a {version.kind} dataset; method {method} needs a "
                           f"{wanted} dataset", hint=_kind_hint(method, version, accepted))
    if version.num_rows == 0:
        raise InvalidInput(f"{role} dataset {version.ref} has no rows", hint="import some examples first")


def _turns(value: Any, role: str) -> list[dict[str, Any]]:
    """A text or message list as messages (a text becomes one ``role`` turn)."""
    if isinstance(value, list):
        return [{"role": m.get("role"), "content": m.get("content") or ""} for m in value]
    return [{"role": role, "content": str(value or "")}]


def _text(value: Any) -> str:
    return plain_transcript(value) if isinstance(value, list) else str(value or "")


def _example(row: dict[str, Any], kind: str, chat: bool, whole: bool) -> dict[str, Any]:
    """One TRL example; ``whole`` keeps chat rows as ``messages`` (assistant masks, or loss on every token)."""
    if kind == "chat":
        messages = _turns(row["messages"], "user")
        last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
        if chat and whole:
            return {"messages": messages}
        if last is None:
            return {"prompt": messages, "completion": []} if chat else {"prompt": _text(messages), "completion": ""}
        if chat:
            return {"prompt": messages[:last], "completion": [messages[last]]}
        return {"prompt": plain_transcript(messages[:last]), "completion": " " + messages[last]["content"]}
    if kind == "completion":
        if chat:
            return {"prompt": _turns(row["prompt"], "user"), "completion": _turns(row["completion"], "assistant")}
        return {"prompt": str(row["prompt"]), "completion": str(row["completion"])}
    if chat:
        return {"prompt": _turns(row["prompt"], "user"), "chosen": _turns(row["chosen"], "assistant"),
                "rejected": _turns(row["rejected"], "assistant")}
    return {"prompt": _text(row["prompt"]), "chosen": _text(row["chosen"]), "rejected": _text(row["rejected"])}


def _length(tok: Any, prompt: Any, completion: Any) -> int:
    if isinstance(prompt, list):
        ids = tok.apply_chat_template([*prompt, *completion], tokenize=True)
        ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
        return len(ids)
    return len(tok(prompt + completion)["input_ids"]) + 1


def _content_problems(number: int, row: dict[str, Any], example: dict[str, Any], kind: str) -> list[Problem]:
    if kind == "chat":
        messages = row["messages"]
        assistants = [m for m in messages if m.get("role") == "assistant"]
        if not assistants:
            return [Problem(number, "messages", "no assistant message to learn from")]
        if not str(assistants[-1].get("content") or "").strip():
            return [Problem(number, "messages", "empty completion: the last assistant message is empty")]
        return []
    if kind == "completion":
        return [] if str(row.get("completion") or "").strip() else [Problem(number, "completion", "empty completion")]
    problems = [Problem(number, name, f"empty {name}") for name in ("chosen", "rejected") if not example[name]]
    if not problems and example["chosen"] == example["rejected"]:
        problems.append(Problem(number, "chosen", "chosen equals rejected: the pair teaches nothing"))
    return problems


def prepare_examples(rows: list[dict[str, Any]], kind: str, spec: TuneSpec, tokenizer: Any,
                     ) -> tuple[list[dict[str, Any]], list[Problem], dict[str, Any]]:
    """TRL examples for ``rows``, every problem found, and how they were formatted (for the run's params)."""
    has_template = bool(getattr(tokenizer, "chat_template", None))
    chat = spec.chat_format if spec.chat_format is not None else has_template
    if chat and not has_template:
        raise InvalidInput("chat_format is on but the base model's tokenizer has no chat template",
                           hint="set chat_format: false, or use a base model with a chat template")
    masks = has_template and "{% generation %}" in str(tokenizer.chat_template)
    masks = masks and spec.completion_only and spec.method not in PREFERENCE_METHODS
    examples, problems = [], []
    for number, row in enumerate(rows, start=1):
        example = _example(row, kind, chat, masks or not spec.completion_only)
        problems.extend(_content_problems(number, row, example, kind))
        examples.append(example)
    if not spec.truncate:
        problems.extend(_length_problems(examples, tokenizer, spec.max_length))
    problems.sort(key=lambda p: p.row)
    fmt = {"chat_format": chat, "format": "messages" if "messages" in examples[0] else
           ("prompt-completion" if "completion" in examples[0] else "preference"), "assistant_only_loss": masks}
    return examples, problems, fmt


def _length_problems(examples: list[dict[str, Any]], tok: Any, max_length: int) -> list[Problem]:
    problems = []
    for number, ex in enumerate(examples, start=1):
        if "messages" in ex:
            size = _length(tok, ex["messages"], [])
        elif "completion" in ex:
            size = _length(tok, ex["prompt"], ex["completion"])
        else:
            size = max(_length(tok, ex["prompt"], ex["chosen"]), _length(tok, ex["prompt"], ex["rejected"]))
        if size > max_length:
            problems.append(Problem(number, "*", f"{size} tokens, longer than max_length {max_length}"))
    return problems


def raise_problems(problems: list[Problem], ref: str, method: str, limit: int) -> None:
    """Raise one :class:`InvalidInput` listing the first ``limit`` problems (all of them in ``details``)."""
    if not problems:
        return
    shown = "; ".join(f"row {p.row} ({p.field}): {p.message}" for p in problems[:limit])
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    hints = []
    if any("max_length" in p.message for p in problems):
        hints.append("raise max_length or set truncate: true")
    if any("max_length" not in p.message for p in problems):
        hints.append("fix or drop those rows and import a new dataset version")
    rows = len({p.row for p in problems})
    raise InvalidInput(f"dataset {ref}: {rows} row{'s' * (rows != 1)} cannot train {method}: {shown}{more}",
                       hint="; ".join(hints), problems=[asdict(p) for p in problems[:1000]])
