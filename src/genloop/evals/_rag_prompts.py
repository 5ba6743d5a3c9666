"""The built-in prompts of the RAG judges (see :mod:`genloop.evals._rag_judges`); versioned like every judge prompt."""

from __future__ import annotations

from typing import Any

__all__ = ["RAG_JUDGE_PROMPTS"]

_SYSTEM = ("You are a careful, impartial evaluator of answers grounded in retrieved passages. You check each "
           "item against the evidence, and you answer in the exact format asked for.")

FAITHFULNESS = """List every factual claim the answer makes, then decide for each whether the retrieved contexts
support it (it can be inferred from them alone).

[Question]
{{ input }}

[Retrieved contexts]
{{ contexts }}

[Answer]
{{ output }}

Answer with a JSON object only:
{"claims": [{"claim": "<one claim of the answer>", "supported": true or false, "reason": "<short>"}]}"""

CONTEXT_RECALL = """Split the reference answer into its statements, then decide for each whether it can be
attributed to the retrieved contexts.

[Question]
{{ input }}

[Retrieved contexts]
{{ contexts }}

[Reference answer]
{{ reference }}

Answer with a JSON object only:
{"statements": [{"statement": "<one statement of the reference>", "attributable": true or false, "reason": "<short>"}]}"""

CONTEXT_PRECISION = """For each retrieved context, in the order given, decide whether it was useful to arrive at
the reference answer to the question.

[Question]
{{ input }}

[Reference answer]
{{ reference }}

[Retrieved contexts ({{ n_contexts }}, in rank order)]
{{ contexts }}

Answer with a JSON object only, one verdict per context in the same order:
{"contexts": [{"index": 1, "useful": true or false, "reason": "<short>"}]}"""

ANSWER_RELEVANCE = """Write three questions that the answer below answers. If the answer is evasive or
noncommittal ("I don't know", "it depends"), mark the questions as not answerable.

[Answer]
{{ output }}

Answer with a JSON object only:
{"questions": [{"question": "<a question>", "answerable": true or false}]}"""


def _prompt(name: str, user: str) -> dict[str, Any]:
    return {"name": f"genloop-judge-{name.replace('_', '-')}",
            "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]}


RAG_JUDGE_PROMPTS: dict[str, dict[str, Any]] = {
    "faithfulness": _prompt("faithfulness", FAITHFULNESS),
    "context_recall": _prompt("context_recall", CONTEXT_RECALL),
    "context_precision": _prompt("context_precision", CONTEXT_PRECISION),
    "answer_relevance": _prompt("answer_relevance", ANSWER_RELEVANCE),
}
