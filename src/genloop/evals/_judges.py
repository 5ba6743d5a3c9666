"""Model-based metrics: a pointwise rubric judge and a pairwise (A vs B) judge, and their built-in prompts.

Judge prompts are prompt versions in the registry: the built-ins are created in the project on first use
(``genloop-judge-pointwise``, ``genloop-judge-pairwise``) so they are versioned and can be improved like any
prompt (a new version of that name is used from then on); a spec can name its own with ``prompt:``.
The judge reasons before it scores; several samples per item combine by mean or majority; a pairwise judge
runs both orders and a verdict that flips with the order counts as a tie.
"""

from __future__ import annotations

import asyncio
from typing import Any

from genloop.errors import NotFound
from genloop.evals._calls import ModelCaller, ModelTarget
from genloop.evals._rag_prompts import RAG_JUDGE_PROMPTS
from genloop.evals._spec import JudgeSpec
from genloop.evals._verdicts import combine_scores, majority, parse_pairwise, parse_score

__all__ = ["BUILTIN_JUDGE_PROMPTS", "PairwiseJudge", "PointwiseJudge", "ensure_judge_prompt"]

_SYSTEM = ("You are a careful, impartial evaluator. You reason about the evidence before you decide, "
           "and you answer in the exact format asked for.")

POINTWISE_USER = """Evaluate the response to the input below against the rubric.

Rubric: {{ rubric }}

Score anchors ({{ scale_min }} to {{ scale_max }}):
{{ anchors }}

[Input]
{{ input }}
{% if reference %}
[Reference answer]
{{ reference }}
{% endif %}
[Response]
{{ output }}

First reason step by step about how well the response meets the rubric, then give the score.
Answer with a JSON object only: {"reasoning": "<your reasoning>", "score": <a number from {{ scale_min }} to {{ scale_max }}>}"""

PAIRWISE_USER = """Compare two responses to the same input under the rubric.

Rubric: {{ rubric }}

[Input]
{{ input }}
{% if reference %}
[Reference answer]
{{ reference }}
{% endif %}
[Response A]
{{ output_a }}

[Response B]
{{ output_b }}

Reason first about which response better satisfies the rubric; do not let their order or length sway you.
Answer with a JSON object only: {"reasoning": "<your reasoning>", "winner": "A" or "B" or "tie"}"""

BUILTIN_JUDGE_PROMPTS: dict[str, dict[str, Any]] = {
    "pointwise": {"name": "genloop-judge-pointwise",
                  "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": POINTWISE_USER}]},
    "pairwise": {"name": "genloop-judge-pairwise",
                 "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": PAIRWISE_USER}]},
    **RAG_JUDGE_PROMPTS,
}


def ensure_judge_prompt(prompts: Any, spec: JudgeSpec) -> Any:
    """The prompt version a judge uses: its own ``prompt`` ref, else the built-in, created on first use."""
    if spec.prompt:
        return prompts.get(spec.prompt)
    builtin = BUILTIN_JUDGE_PROMPTS.get(spec.type) or BUILTIN_JUDGE_PROMPTS["pointwise"]
    try:
        return prompts.get(builtin["name"])
    except NotFound:
        return prompts.create(builtin["name"], messages=builtin["messages"], message="built-in GenLoop judge prompt",
                              description=f"GenLoop's built-in {spec.type} judge prompt")


def _render(version: Any, variables: dict[str, Any]) -> list[dict[str, Any]]:
    from genloop.prompts import render_version

    rendered = render_version(version, variables)
    if rendered.messages is not None:
        return [{"role": m.role, "content": m.content} for m in rendered.messages]
    return [{"role": "user", "content": rendered.text or ""}]


def _variant(repeat: int, sample: int) -> int:
    """The cache variant of one judge call: 0 for the first sample of the first repeat."""
    return repeat * 1000 + sample


class _Judge:
    kind = ""

    def __init__(self, spec: JudgeSpec, target: ModelTarget, prompt: Any) -> None:
        self.spec = spec
        self.name = spec.name
        self.target = target
        self.prompt = prompt  # a PromptVersion, pinned for the run

    def variables(self, base: dict[str, Any]) -> dict[str, Any]:
        anchors = "\n".join(f"{k}: {v}" for k, v in sorted(self.spec.anchors.items()))
        own = {"rubric": self.spec.rubric, "anchors": anchors, "scale_min": self.spec.scale[0],
               "scale_max": self.spec.scale[1]}
        merged = {**base, **own}
        if not self.spec.use_reference:
            merged["reference"] = ""
        return merged


class PointwiseJudge(_Judge):
    """Scores one output against a rubric with score anchors; the judge reasons, then scores."""

    kind = "pointwise"

    async def evaluate(self, caller: ModelCaller, variables: dict[str, Any], repeat: int = 0) -> dict[str, Any]:
        """A judgment: ``score`` (None when no sample could be read), explanation, samples, unparsed count.
        Each (repeat, sample) is a distinct call, so repeats measure the judge's variance too."""
        messages = _render(self.prompt, self.variables(variables))
        low, high = self.spec.scale
        outcomes = await asyncio.gather(*(caller.call(self.target, messages, self.spec.params,
                                                      variant=_variant(repeat, sample))
                                          for sample in range(self.spec.samples)))
        cost = sum(o.cost or 0.0 for o in outcomes)
        spent = sum(o.cost or 0.0 for o in outcomes if not o.cached)
        verdicts = [parse_score(o.text, low, high) for o in outcomes]
        scores = [float(v.value) for v in verdicts if v.error is None]
        score = combine_scores(scores, self.spec.aggregate)
        explanation = next((v.explanation for v in verdicts if v.error is None), verdicts[0].explanation)
        judgment: dict[str, Any] = {
            "score": score, "explanation": explanation, "unparsed": len(verdicts) - len(scores),
            "samples": [v.to_json() for v in verdicts], "cost": cost, "spent": spent, "prompt": self.prompt.ref,
        }
        if score is None:
            judgment["error"] = verdicts[-1].error
        if self.spec.pass_threshold is not None and score is not None:
            judgment["passed"] = score >= self.spec.pass_threshold
        return judgment


_SWAP = {"a": "b", "b": "a", "tie": "tie", None: None}


class PairwiseJudge(_Judge):
    """Prefers one of two outputs for the same input; both orders by default, a flip counts as a tie."""

    kind = "pairwise"

    async def compare(self, caller: ModelCaller, variables: dict[str, Any], output_a: str,
                      output_b: str, repeat: int = 0) -> dict[str, Any]:
        """A verdict: ``winner`` ('a', 'b', 'tie' or None), ``consistent``, and each order's samples."""
        shown = [(output_a, output_b, False)]
        if self.spec.both_orders:
            shown.append((output_b, output_a, True))
        base = self.variables(variables)
        calls = []
        for first, second, _swapped in shown:
            messages = _render(self.prompt, {**base, "output_a": first, "output_b": second})
            calls.extend(caller.call(self.target, messages, self.spec.params, variant=_variant(repeat, s))
                         for s in range(self.spec.samples))
        outcomes = await asyncio.gather(*calls)
        cost = sum(o.cost or 0.0 for o in outcomes)
        spent = sum(o.cost or 0.0 for o in outcomes if not o.cached)
        orders: list[dict[str, Any]] = []
        for index, (_first, _second, swapped) in enumerate(shown):
            chunk = outcomes[index * self.spec.samples:(index + 1) * self.spec.samples]
            verdicts = [parse_pairwise(o.text) for o in chunk]
            values = [_SWAP[v.value] if swapped else v.value for v in verdicts if v.error is None]
            orders.append({"swapped": swapped, "winner": majority(values), "unparsed": len(verdicts) - len(values),
                           "samples": [v.to_json() for v in verdicts]})
        decided = [o["winner"] for o in orders if o["winner"] is not None]
        consistent: bool | None = None
        if not decided:
            winner = None
        elif len(decided) == 1:
            winner = decided[0]
        else:
            consistent = decided[0] == decided[1]
            winner = decided[0] if consistent else "tie"
        return {"winner": winner, "consistent": consistent, "orders": orders, "cost": cost, "spent": spent,
                "status": "ok" if winner is not None else "unparsed", "prompt": self.prompt.ref}
