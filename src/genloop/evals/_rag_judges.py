"""Judges for retrieval-augmented answers, with RAGAS's published definitions (Es et al., 2023):

- ``faithfulness``: the judge lists the claims the answer makes and marks each as supported or not by the
  retrieved contexts; the score is supported claims / all claims (None when the answer makes no claim).
- ``context_recall``: the judge splits the reference answer into statements and marks each as attributable
  to the contexts or not; the score is attributable statements / all statements.
- ``context_precision``: the judge marks each retrieved context, in rank order, as useful or not for reaching
  the reference answer; the score is the average precision of those verdicts, sum_k(precision@k * v_k) / sum_k v_k
  (0 when none is useful).
- ``answer_relevance``: the judge writes ``n`` questions the answer would answer; the score is the mean cosine
  similarity between the question asked and those questions (RAGAS uses a sentence embedder; here it is the
  deterministic hashed word n-gram embedder, so the score tracks shared wording, and an evasive answer that
  suggests other questions scores low).

Each reads the row's ``contexts`` column (a list of passages, or one string) and, for the reference-based two,
its reference. A judge answer that cannot be read leaves the score None with the reason, like other judges; the
per-claim verdicts are kept in the judgment (``details``), so a reviewer sees what was found supported.
Use them in a spec as ``judges: [{name: faithfulness, type: faithfulness, model: openai:gpt-4o}]``.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from typing import Any

from genloop.evals._calls import ModelCaller
from genloop.evals._judges import PointwiseJudge

__all__ = ["AnswerRelevance", "ContextPrecision", "ContextRecall", "Faithfulness", "RAG_JUDGES"]


def contexts_of(variables: dict[str, Any]) -> list[str]:
    """The row's retrieved passages, as a list of strings."""
    value = variables.get("contexts")
    if value is None:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
            value = parsed if isinstance(parsed, list) else [value]
        except json.JSONDecodeError:
            value = [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _json_object(text: str) -> dict[str, Any] | None:
    match = re.search(r"\{.*\}", text, flags=re.S)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _verdicts(data: dict[str, Any] | None, key: str, flag: str) -> list[dict[str, Any]] | None:
    items = data.get(key) if data is not None else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get(flag), bool) for i in items):
        return None
    return items


class _RagJudge(PointwiseJudge):
    """One judge call per sample with the RAG prompt; ``score_of`` turns the verdicts into the score."""

    kind = "pointwise"
    key = ""
    flag = ""

    async def evaluate(self, caller: ModelCaller, variables: dict[str, Any], repeat: int = 0) -> dict[str, Any]:
        from genloop.evals._judges import _render, _variant

        contexts = contexts_of(variables)
        shown = {**variables, "contexts": "\n".join(f"[{i + 1}] {c}" for i, c in enumerate(contexts)) or "(none)",
                 "n_contexts": len(contexts)}
        messages = _render(self.prompt, shown)
        outcomes = await asyncio.gather(*(caller.call(self.target, messages, self.spec.params,
                                                      variant=_variant(repeat, sample))
                                          for sample in range(self.spec.samples)))
        scores: list[float] = []
        details: list[Any] = []
        error = None
        for outcome in outcomes:
            verdicts = _verdicts(_json_object(outcome.text), self.key, self.flag)
            if verdicts is None:
                error = f"the judge's answer has no {self.key!r} list of {self.flag!r} verdicts: {outcome.text[:200]!r}"
                continue
            score = self.score_of(verdicts, variables, contexts)
            details.append(verdicts)
            if score is not None:
                scores.append(score)
        score = sum(scores) / len(scores) if scores else None
        judgment: dict[str, Any] = {
            "score": score, "explanation": self.explain(details[0]) if details else error,
            "details": details[0] if details else None, "unparsed": len(outcomes) - len(details),
            "samples": [o.text for o in outcomes], "cost": sum(o.cost or 0.0 for o in outcomes),
            "spent": sum(o.cost or 0.0 for o in outcomes if not o.cached), "prompt": self.prompt.ref}
        if score is None:
            judgment["error"] = error or "not applicable: nothing to verify"
        if self.spec.pass_threshold is not None and score is not None:
            judgment["passed"] = score >= self.spec.pass_threshold
        return judgment

    def score_of(self, verdicts: list[dict[str, Any]], variables: dict[str, Any], contexts: list[str]) -> float | None:
        return sum(1 for v in verdicts if v[self.flag]) / len(verdicts) if verdicts else None

    def explain(self, verdicts: list[dict[str, Any]]) -> str:
        bad = [str(v.get("claim") or v.get("statement") or v.get("question") or "") for v in verdicts
               if not v[self.flag]]
        held = sum(1 for v in verdicts if v[self.flag])
        return f"{held} of {len(verdicts)} {self.key}" + (f"; not: {'; '.join(bad[:5])}" if bad else "")


class Faithfulness(_RagJudge):
    key, flag = "claims", "supported"


class ContextRecall(_RagJudge):
    key, flag = "statements", "attributable"


class ContextPrecision(_RagJudge):
    key, flag = "contexts", "useful"

    def score_of(self, verdicts: list[dict[str, Any]], variables: dict[str, Any], contexts: list[str]) -> float | None:
        if not verdicts:
            return None
        useful, total = 0, 0.0
        for k, verdict in enumerate(verdicts, start=1):
            if verdict[self.flag]:
                useful += 1
                total += useful / k
        return total / useful if useful else 0.0


class AnswerRelevance(_RagJudge):
    key, flag = "questions", "answerable"

    def score_of(self, verdicts: list[dict[str, Any]], variables: dict[str, Any], contexts: list[str]) -> float | None:
        asked = str(variables.get("question") or variables.get("input") or "")
        generated = [str(v.get("question") or "") for v in verdicts if v[self.flag]]
        if not generated:
            return 0.0  # an answer that answers no question (evasive, "I don't know") is not relevant
        target = _embed(asked)
        return sum(_cosine(target, _embed(q)) for q in generated) / len(verdicts)


def _embed(text: str, dims: int = 512) -> list[float]:
    """Hashed word uni- and bigrams, L2-normalised (deterministic; no weights)."""
    import hashlib

    words = re.findall(r"\w+", text.lower())
    vector = [0.0] * dims
    for gram in [*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))]:
        digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "little") % dims] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


def _cosine(a: list[float], b: list[float]) -> float:
    return max(0.0, sum(x * y for x, y in zip(a, b, strict=True)))


RAG_JUDGES: dict[str, type[_RagJudge]] = {"faithfulness": Faithfulness, "context_recall": ContextRecall,
                                          "context_precision": ContextPrecision, "answer_relevance": AnswerRelevance}
