"""What a rater sees of an item: the conversation and the answer(s), taken from a trace, eval item or row.

Payloads are snapshots written when the item is added (a deleted trace or run leaves them intact):
``messages`` (the conversation before the answer, when it is a chat), ``inputs`` (other inputs),
``answer`` (the answer to rate) or ``answer_a``/``answer_b`` (a pair, in source order), ``reference``,
and ``origin`` (what it came from: ids, run, candidate). For a pair, the rater sees the two answers in a
per-item random order (``swapped``) and never the origin of either; their choice is stored de-randomised.
"""

from __future__ import annotations

from typing import Any

from genloop.feedback._export_rows import answer_text, chat_messages

__all__ = ["rater_content", "swap_choices", "trace_payload"]

_SWAP = {"a": "b", "b": "a"}


def trace_payload(trace_input: Any, trace_output: Any, origin: dict[str, Any]) -> dict[str, Any]:
    """A trace's conversation and its answer (as text where it has a text form, else as stored)."""
    messages = chat_messages(trace_input)
    answer = answer_text(trace_output)
    payload: dict[str, Any] = {"origin": origin}
    if messages is not None:
        payload["messages"] = messages
    else:
        payload["inputs"] = trace_input
    payload["answer"] = answer if answer is not None else trace_output
    return payload


def eval_payload(inputs: Any, output: Any, reference: Any, origin: dict[str, Any]) -> dict[str, Any]:
    """An eval item's inputs (a chat when they hold ``messages``), its output and its reference."""
    payload: dict[str, Any] = {"origin": origin, "reference": reference}
    messages = chat_messages(inputs.get("messages")) if isinstance(inputs, dict) and "messages" in inputs else None
    if messages is not None:
        payload["messages"] = messages
    else:
        payload["inputs"] = inputs
    payload["answer"] = output
    return payload


def row_payload(row: dict[str, Any], origin: dict[str, Any]) -> dict[str, Any]:
    """A dataset row: chat rows split into the conversation and the last assistant answer."""
    payload: dict[str, Any] = {"origin": origin}
    messages = chat_messages(row.get("messages")) if "messages" in row else None
    if messages and messages[-1]["role"] == "assistant":
        payload |= {"messages": messages[:-1], "answer": messages[-1]["content"]}
    elif "chosen" in row and "rejected" in row:
        prompt = row.get("prompt")
        payload["messages"] = chat_messages(prompt) or [{"role": "user", "content": str(prompt)}]
        payload |= {"answer_a": answer_text(_last(row["chosen"])), "answer_b": answer_text(_last(row["rejected"]))}
    else:
        answer_key = next((k for k in ("completion", "answer", "output", "response") if k in row), None)
        payload["inputs"] = {k: v for k, v in row.items() if k not in (answer_key, "reference")}
        payload["answer"] = row.get(answer_key) if answer_key else None
        payload["reference"] = row.get("reference")
    return payload


def rater_content(payload: dict[str, Any], swapped: bool) -> dict[str, Any]:
    """The payload without its origin, pairs shown in the item's hidden order."""
    content = {k: v for k, v in payload.items() if k != "origin"}
    if swapped and "answer_a" in content:
        content["answer_a"], content["answer_b"] = payload.get("answer_b"), payload.get("answer_a")
    return content


def swap_choices(answers: dict[str, Any] | None, swapped: bool) -> dict[str, Any] | None:
    """Pairwise choices between shown order and source order (the same swap both ways)."""
    if answers is None or not swapped:
        return answers
    out = dict(answers)
    for name, value in answers.items():
        if isinstance(value, dict) and value.get("choice") in _SWAP:
            out[name] = value | {"choice": _SWAP[value["choice"]]}
    return out


def _last(value: Any) -> Any:
    return value[-1] if isinstance(value, list) and value else value
