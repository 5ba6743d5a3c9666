"""Feedback on traces turned into dataset rows: SFT conversations and preference pairs (no I/O here).

A trace's ``input`` is the chat the gateway sent (OpenAI messages; a plain string reads as one user
message) and its ``output`` the assistant message (a list of them, one per choice: the first is used).
A correction is text, an assistant message, or a message list whose last message is the assistant's
answer. Rows take TRL's conversational forms: ``{"messages": [...]}`` for SFT (``chat`` kind) and
``{"prompt": [...], "chosen": [assistant], "rejected": [assistant]}`` for preferences.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from genloop.datasets import ROLES

__all__ = ["Candidate", "Source", "Tally", "preference_rows", "sft_rows"]

Message = dict[str, str]
_ROLE_ALIASES = {"developer": "system"}  # OpenAI's newer name for the system role


@dataclass(slots=True)
class Source:
    """One piece of feedback joined with its trace (``found`` is False when the trace is not stored)."""

    feedback_id: int
    trace_id: str
    correction: Any
    verdict: bool | None  # True: liked, False: disliked, None: neither
    found: bool
    input: Any = None
    output: Any = None


@dataclass(slots=True)
class Candidate:
    """A row, with the traces and feedback it came from."""

    row: dict[str, Any]
    trace_ids: tuple[str, ...]
    feedback_ids: tuple[int, ...]


@dataclass
class Tally:
    """Which feedback made rows, and for the rest the first reason each was left out."""

    used: set[int] = field(default_factory=set)
    reasons: dict[int, str] = field(default_factory=dict)

    def skip(self, feedback_ids: int | tuple[int, ...], reason: str) -> None:
        for fid in (feedback_ids,) if isinstance(feedback_ids, int) else feedback_ids:
            self.reasons.setdefault(fid, reason)

    def skipped(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for fid, reason in self.reasons.items():
            if fid not in self.used:
                counts[reason] += 1
        return dict(sorted(counts.items()))


def sft_rows(sources: list[Source], tally: Tally) -> Iterator[Candidate]:
    """The trace's input messages followed by the corrected answer, one row per correction."""
    for src in sources:
        prompt = _prompt(src, tally)
        if prompt is None:
            continue
        target = correction_text(src.correction)
        if target is None:
            tally.skip(src.feedback_id, "invalid_correction")
            continue
        yield Candidate({"messages": [*prompt, _answer(target)]}, (src.trace_id,), (src.feedback_id,))


def preference_rows(sources: list[Source], tally: Tally) -> Iterator[Candidate]:
    """Pairs from corrections (correction over the original answer), then from likes and dislikes.

    A trace's verdict is the majority of its likes and dislikes (a tie is ``conflicting``). Traces with
    the same prompt (messages compared with whitespace collapsed) pair every distinct liked answer
    with every distinct disliked one.
    """
    traces: dict[str, tuple[list[Message], str]] = {}
    votes: dict[str, list[Source]] = defaultdict(list)
    for src in sources:
        if src.correction is None and src.verdict is None:
            tally.skip(src.feedback_id, "no_signal")
            continue
        prompt = _prompt(src, tally)
        if prompt is None:
            continue
        answer = answer_text(src.output)
        if answer is None:
            tally.skip(src.feedback_id, "no_trace_content")
            continue
        traces[src.trace_id] = (prompt, answer)
        if src.verdict is not None:
            votes[src.trace_id].append(src)
        if src.correction is not None:
            target = correction_text(src.correction)
            if target is None:
                tally.skip(src.feedback_id, "invalid_correction")
            elif _same(target, answer):
                tally.skip(src.feedback_id, "same_answer")
            else:
                yield Candidate(_pair(prompt, target, answer), (src.trace_id,), (src.feedback_id,))
    yield from _voted_pairs(traces, votes, tally)


def _voted_pairs(traces: dict[str, tuple[list[Message], str]], votes: dict[str, list[Source]],
                 tally: Tally) -> Iterator[Candidate]:
    # prompt key -> verdict -> normalised answer -> (answer, trace ids, feedback ids)
    groups: dict[tuple[Any, ...], dict[bool, dict[str, tuple[str, list[str], list[int]]]]] = {}
    prompts: dict[tuple[Any, ...], list[Message]] = {}
    for trace_id, sources in votes.items():
        score = sum(1 if s.verdict else -1 for s in sources)
        if score == 0:
            tally.skip(tuple(s.feedback_id for s in sources), "conflicting")
            continue
        verdict = score > 0
        tally.skip(tuple(s.feedback_id for s in sources if s.verdict is not verdict), "conflicting")
        prompt, answer = traces[trace_id]
        key = tuple((m["role"], _norm(m["content"])) for m in prompt)
        prompts.setdefault(key, prompt)
        slot = groups.setdefault(key, {True: {}, False: {}})[verdict].setdefault(_norm(answer), (answer, [], []))
        slot[1].append(trace_id)
        slot[2].extend(s.feedback_id for s in sources if s.verdict is verdict)
    for key, sides in groups.items():
        if not sides[True] or not sides[False]:
            for _, _, fids in (*sides[True].values(), *sides[False].values()):
                tally.skip(tuple(fids), "no_pair")
            continue
        for chosen_norm, (chosen, chosen_traces, chosen_fids) in sides[True].items():
            for rejected_norm, (rejected, rejected_traces, rejected_fids) in sides[False].items():
                if chosen_norm == rejected_norm:  # liked by some, disliked by others
                    tally.skip((*chosen_fids, *rejected_fids), "same_answer")
                    continue
                yield Candidate(_pair(prompts[key], chosen, rejected), (*chosen_traces, *rejected_traces),
                                (*chosen_fids, *rejected_fids))


def _prompt(src: Source, tally: Tally) -> list[Message] | None:
    if not src.found:
        tally.skip(src.feedback_id, "no_trace")
        return None
    prompt = chat_messages(src.input)
    if prompt is None:
        tally.skip(src.feedback_id, "no_trace_content")
    return prompt


def chat_messages(value: Any) -> list[Message] | None:
    """``[{role, content}]`` with text content from a trace input, or None when it is not a text chat."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}] if value.strip() else None
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if not isinstance(value, list) or not value:
        return None
    out = []
    for message in value:
        if not isinstance(message, dict):
            return None
        role = _ROLE_ALIASES.get(message.get("role"), message.get("role"))  # type: ignore[arg-type]
        text = content_text(message.get("content"))
        if role not in ROLES or text is None:  # tool calls, images and audio have no text form here
            return None
        out.append({"role": role, "content": text})
    return out


def content_text(content: Any) -> str | None:
    """A message's content as text: a string, or multi-part content made only of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content:
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if len(texts) == len(content) and all(isinstance(t, str) for t in texts):
            return "\n".join(texts)  # type: ignore[arg-type]
    return None


def answer_text(output: Any) -> str | None:
    """The served answer's text from a trace output (the first choice), or None when there is none."""
    if isinstance(output, list):
        output = output[0] if output else None
    if isinstance(output, str):
        return output
    if isinstance(output, dict) and output.get("role", "assistant") == "assistant":
        return content_text(output.get("content"))
    return None


def correction_text(correction: Any) -> str | None:
    """The corrected answer: text, an assistant message, or the last (assistant) message of a list."""
    if isinstance(correction, list):
        correction = correction[-1] if correction else None
        if not isinstance(correction, dict) or correction.get("role") != "assistant":
            return None
    text = answer_text(correction) if isinstance(correction, (dict, str)) else None
    return text if text and text.strip() else None


def _pair(prompt: list[Message], chosen: str, rejected: str) -> dict[str, Any]:
    return {"prompt": prompt, "chosen": [_answer(chosen)], "rejected": [_answer(rejected)]}


def _answer(text: str) -> Message:
    return {"role": "assistant", "content": text}


def _norm(text: str) -> str:
    return " ".join(text.split())


def _same(a: str, b: str) -> bool:
    return _norm(a) == _norm(b)
