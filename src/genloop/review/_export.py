"""A queue's labels as a new dataset version: a golden eval set, an SFT set, or a preference set.

- ``golden`` (``eval`` kind): the conversation or inputs, and the reference: the correction the raters gave
  (the most frequent text, ties to the latest), or the answer itself when every rater left it unedited and
  no true/false question's majority said false.
- ``sft`` (``chat`` kind): the conversation followed by the corrected answer.
- ``preference``: pairwise choices (the majority of ``a``/``b``, de-randomised; ties and both-bad are left
  out) and corrections chosen over the original answers.

A row whose content equals an earlier one (the same conversation and answer in two items) is kept once
(``canonical_digest``, as the feedback export does).

Each export is a ``data`` run ("review export") whose inputs are the queue and every trace and eval item in
the rows, and whose output is the version, so lineage leads from the data back to what was reviewed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import insert

from genloop.datasets import DatasetVersion
from genloop.errors import InvalidInput
from genloop.feedback._export_redact import canonical_digest
from genloop.review._agreement import _majority
from genloop.review._questions import Question
from genloop.runs._tables import RunRefRow

__all__ = ["EXPORT_KINDS", "ReviewExport", "build_rows"]

ExportKind = Literal["golden", "sft", "preference"]
EXPORT_KINDS = ("golden", "sft", "preference")
DATASET_KIND = {"golden": "eval", "sft": "chat", "preference": "preference"}


class ReviewExport(BaseModel):
    """What an export wrote."""

    dataset: DatasetVersion
    created: bool = Field(description="False when the rows equal the dataset's latest version (returned as is)")
    run_id: str
    kind: str
    rows: int
    items: int = Field(description="Items considered (with at least one rating)")
    skipped: dict[str, int] = Field(default_factory=dict)


def _correction(question: Question | None, answers: list[dict[str, Any]]) -> str | None:
    if question is None:
        return None
    texts = [t for a in answers if isinstance(t := a.get(question.name), str) and t.strip()]
    if not texts:
        return None
    counts = Counter(texts)
    best = max(counts.values())
    return next(t for t in reversed(texts) if counts[t] == best)


def _prompt(payload: dict[str, Any]) -> list[dict[str, str]] | None:
    """The conversation, or a text input (``prompt``, ``question``, ``input`` or a lone string) as a user turn."""
    if payload.get("messages"):
        return payload["messages"]  # type: ignore[no-any-return]
    inputs = payload.get("inputs")
    if isinstance(inputs, dict):
        texts = [inputs[k] for k in ("prompt", "question", "input") if isinstance(inputs.get(k), str)]
        if not texts and len(inputs) == 1 and isinstance(next(iter(inputs.values())), str):
            texts = list(inputs.values())
        inputs = texts[0] if texts else None
    return [{"role": "user", "content": inputs}] if isinstance(inputs, str) and inputs.strip() else None


def build_rows(kind: str, questions: list[Question], items: list[tuple[Any, list[dict[str, Any]]]]
               ) -> tuple[list[dict[str, Any]], list[Any], Counter[str]]:
    """Rows for ``kind`` from (item, answers of its ratings); returns rows, the items used, skip reasons."""
    edit = next((q for q in questions if q.type == "edit"), None)
    flags = [q for q in questions if q.type == "boolean"]
    pairwise = next((q for q in questions if q.type == "pairwise"), None)
    rows: list[dict[str, Any]] = []
    used: list[Any] = []
    skipped: Counter[str] = Counter()
    seen: set[bytes] = set()

    def add(content: dict[str, Any], source: dict[str, Any]) -> bool:
        """Keep a row unless the same content is in already (two items with one conversation and answer)."""
        digest = canonical_digest(content)
        if digest in seen:
            return False
        seen.add(digest)
        rows.append(content | source)
        return True

    for item, answers in items:
        payload = item.payload
        correction = _correction(edit, answers)
        answer = payload.get("answer")
        source = {"review_item": item.id, "source": f"{item.source}:{item.source_key}"}
        if kind == "golden":
            verdicts = [_majority([a.get(q.name) for a in answers if a.get(q.name) is not None]) for q in flags]
            if correction is not None:
                reference = correction
            elif any(v is not True for v in verdicts) or (edit is None and not flags):
                reference = None  # judged wrong (or undecided) with no correction, or nothing says it is right
            else:
                reference = answer  # left unedited, and every true/false question's majority said true
            if reference is None or "answer_a" in payload:
                skipped["no_reference"] += 1
                continue
            inputs = {"messages": payload["messages"]} if payload.get("messages") else {"input": payload.get("inputs")}
            if not add(inputs | {"reference": reference if isinstance(reference, str) else str(reference)}, source):
                skipped["duplicate"] += 1
                continue
        elif kind == "sft":
            prompt = _prompt(payload)
            if correction is None or prompt is None:
                skipped["no_correction" if correction is None else "no_conversation"] += 1
                continue
            if not add({"messages": [*prompt, {"role": "assistant", "content": correction}]}, source):
                skipped["duplicate"] += 1
                continue
        else:
            prompt = _prompt(payload)
            if prompt is None:
                skipped["no_conversation"] += 1
                continue
            made = False
            if pairwise is not None and "answer_a" in payload:
                choice = _majority([a[pairwise.name]["choice"] for a in answers if a.get(pairwise.name)])
                if choice in ("a", "b"):
                    chosen, rejected_text = ((payload["answer_a"], payload["answer_b"]) if choice == "a"
                                             else (payload["answer_b"], payload["answer_a"]))
                    made = add(_pair(prompt, chosen, rejected_text), source)
            if correction is not None and isinstance(answer, str) and " ".join(answer.split()) != " ".join(correction.split()):
                made = add(_pair(prompt, correction, answer), source) or made
            if not made:
                skipped["no_preference"] += 1  # or only rows identical to earlier ones
                continue
        used.append(item)
    return rows, used, skipped


def _pair(prompt: list[dict[str, str]], chosen: str, rejected: str) -> dict[str, Any]:
    return {"prompt": prompt, "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": rejected}]}


def add_lineage(session: Any, run_id: str, queue: str, items: list[Any]) -> None:
    """The queue, and each trace and eval item behind the rows, as inputs of the export run."""
    edges = [{"run_id": run_id, "direction": "input", "entity_type": "review_queue", "entity_name": queue,
              "version": None}]
    seen: set[tuple[str, str]] = set()
    for item in items:
        for entity, name in (("trace", item.trace_id), ("eval_item", item.eval_item_id)):
            if name is not None and (entity, str(name)) not in seen:
                seen.add((entity, str(name)))
                edges.append({"run_id": run_id, "direction": "input", "entity_type": entity,
                              "entity_name": str(name), "version": None})
    for start in range(0, len(edges), 1000):
        session.execute(insert(RunRefRow), edges[start:start + 1000])


def check_kind(kind: str) -> None:
    if kind not in EXPORT_KINDS:
        raise InvalidInput(f"unknown export kind {kind!r}", hint=f"use one of: {', '.join(EXPORT_KINDS)}")
