"""Search strategies: each proposes new prompt messages from what the optimization has learned so far.

- ``meta``: the optimizer model reads the best prompt so far, its score and failing examples, and rewrites it.
- ``fewshot``: demonstrations are chosen from the optimization split, bootstrapped from outputs the current best
  prompt got right (the reference where it got none right), and put before the last user turn; each candidate is
  a different seeded subset.
- ``reflective`` (in the spirit of GEPA): a parent is drawn from the Pareto front over examples (the candidates
  that are best on at least one example, weighted by how many), the optimizer model first reflects on the parent's
  failures and their feedback (scores and judge explanations), then proposes a mutation.

A proposal must keep every variable of the original prompt; one that drops a variable, or that cannot be read, is
discarded (and counted).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Candidate", "Proposal", "Strategy", "get_strategy", "pareto_front"]

_SYSTEM = ("You improve prompts for a language model. You keep the task and every template variable, "
           "and you answer in the exact format asked for.")
_FORMAT = ('Answer with a JSON object only: {"change": "<one line: what you changed and why>", '
           '"messages": [{"role": "system" or "user" or "assistant", "content": "<text>"}, ...]}. '
           "Keep every Jinja2 variable of the current prompt (VARIABLES) exactly as written.")


@dataclass
class Candidate:
    """A prompt version the optimization has scored on its optimization split."""

    ref: str
    messages: list[dict[str, str]]
    how: str
    score: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    eval_run: str | None = None
    per_example: dict[str, float] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    correct: list[dict[str, Any]] = field(default_factory=list)
    round: int = 0


@dataclass
class Proposal:
    messages: list[dict[str, str]]
    how: str


Ask = Callable[[list[dict[str, str]]], Awaitable[str]]
Render = Callable[[str, dict[str, Any]], list[dict[str, str]]]


class Strategy:
    """Proposes ``n`` candidates in a round; ``ask`` calls the optimizer model, ``render`` a prompt version."""

    name = ""

    def __init__(self, spec: Any, variables: Sequence[str], rng: random.Random) -> None:
        self.spec = spec
        self.variables = list(variables)
        self.rng = rng
        self.discarded = 0

    async def propose(self, pool: list[Candidate], rows: list[dict[str, Any]], n: int, ask: Ask,
                      render: Render) -> list[Proposal]:
        raise NotImplementedError

    def _read(self, text: str, how: str) -> Proposal | None:
        """The messages an optimizer reply proposes, or None (counted) when it is unreadable or drops a variable."""
        match = re.search(r"\{.*\}", text, flags=re.S)
        try:
            data = json.loads(match.group(0)) if match else None
        except json.JSONDecodeError:
            data = None
        messages = data.get("messages") if isinstance(data, dict) else None
        ok = isinstance(messages, list) and messages and all(
            isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
            and isinstance(m.get("content"), str) for m in messages)
        if ok:
            body = " ".join(m["content"] for m in messages)
            ok = all(re.search(r"\{\{[^}]*\b" + re.escape(v) + r"\b[^}]*\}\}", body) for v in self.variables)
        if not ok:
            self.discarded += 1
            return None
        change = str(data.get("change") or "").strip()[:300]  # type: ignore[union-attr]
        return Proposal([{"role": m["role"], "content": m["content"]} for m in messages],
                        f"{how}: {change}" if change else how)

    def _failures_text(self, candidate: Candidate) -> str:
        lines = []
        for f in candidate.failures[: self.spec.failures_shown]:
            lines.append(f"- input: {json.dumps(f['inputs'], ensure_ascii=False)[:800]}\n"
                         f"  output: {str(f['output'])[:800]}\n  expected: {str(f['reference'])[:800]}\n"
                         f"  score ({self.spec.metric}): {f['score']}" + (f"\n  feedback: {f['feedback'][:600]}"
                                                                          if f.get("feedback") else ""))
        return "\n".join(lines) or "(no failing examples)"


class MetaRewrite(Strategy):
    name = "meta"

    async def propose(self, pool: list[Candidate], rows: list[dict[str, Any]], n: int, ask: Ask,
                      render: Render) -> list[Proposal]:
        best = max(pool, key=lambda c: (c.score if c.score is not None else -1e9))
        user = (f"The prompt below scores {best.score} on the metric {self.spec.metric!r} (higher is better).\n\n"
                f"[Current prompt messages]\n{json.dumps(best.messages, ensure_ascii=False, indent=1)}\n\n"
                f"[Examples it gets wrong]\n{self._failures_text(best)}\n\n"
                "Rewrite the prompt so the model gets such examples right, without overfitting to them. "
                + _FORMAT.replace("VARIABLES", ", ".join(self.variables)))
        proposals = []
        for i in range(n):
            text = await ask([{"role": "system", "content": _SYSTEM},
                              {"role": "user", "content": user + f"\n(Proposal {i + 1} of {n}: make it distinct.)"}])
            proposal = self._read(text, f"meta rewrite of {best.ref}")
            if proposal is not None:
                proposals.append(proposal)
        return proposals


class Reflective(Strategy):
    name = "reflective"

    async def propose(self, pool: list[Candidate], rows: list[dict[str, Any]], n: int, ask: Ask,
                      render: Render) -> list[Proposal]:
        front = pareto_front(pool)
        proposals = []
        for _ in range(n):
            parent = self.rng.choices([c for c, _ in front], weights=[w for _, w in front], k=1)[0]
            user = (f"[Prompt messages]\n{json.dumps(parent.messages, ensure_ascii=False, indent=1)}\n\n"
                    f"[Failures with their evaluation feedback]\n{self._failures_text(parent)}\n\n"
                    "First reflect: what do these failures have in common, and what instruction would prevent "
                    "them? Then propose the improved prompt. " + _FORMAT.replace("VARIABLES", ", ".join(self.variables)))
            text = await ask([{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}])
            proposal = self._read(text, f"reflective mutation of {parent.ref} (Pareto front of {len(front)})")
            if proposal is not None:
                proposals.append(proposal)
        return proposals


class FewShot(Strategy):
    name = "fewshot"

    async def propose(self, pool: list[Candidate], rows: list[dict[str, Any]], n: int, ask: Ask,
                      render: Render) -> list[Proposal]:
        base = pool[0]  # demonstrations go on the original prompt
        best = max(pool, key=lambda c: (c.score if c.score is not None else -1e9))
        right = [f for f in best.correct if f.get("output")]
        source = right or [{"inputs": r, "output": r.get("__reference__")} for r in rows if r.get("__reference__")]
        if not source:
            self.discarded += n
            return []
        proposals = []
        for _ in range(n):
            demos = self.rng.sample(source, min(self.spec.demos, len(source)))
            turns: list[dict[str, str]] = []
            for demo in demos:
                shown = render(base.ref, demo["inputs"])
                turns.append({"role": "user", "content": _raw(shown[-1]["content"])})
                turns.append({"role": "assistant", "content": _raw(str(demo["output"]))})
            messages = [*base.messages[:-1], *turns, base.messages[-1]]
            kind = "bootstrapped from correct outputs" if right else "from references"
            proposals.append(Proposal(messages, f"few-shot: {len(demos)} demonstrations {kind}"))
        return proposals


def _raw(text: str) -> str:
    """Literal text inside a Jinja2 template (a demonstration may contain braces)."""
    return "{% raw %}" + text.replace("{% endraw %}", "") + "{% endraw %}"


def pareto_front(pool: list[Candidate]) -> list[tuple[Candidate, int]]:
    """Candidates best on at least one example, each with the number of examples it is best on."""
    examples = {e for c in pool for e in c.per_example}
    wins: dict[int, int] = {}
    for example in examples:
        top = max(c.per_example.get(example, float("-inf")) for c in pool)
        for i, c in enumerate(pool):
            if c.per_example.get(example, float("-inf")) == top:
                wins[i] = wins.get(i, 0) + 1
    front = [(pool[i], w) for i, w in sorted(wins.items())]
    return front or [(pool[0], 1)]


def get_strategy(name: str, spec: Any, variables: Sequence[str], rng: random.Random) -> Strategy:
    """The strategy called ``name`` (built-ins, or one a plugin registered through ``register_optimizers``)."""
    from genloop.plugins import collect

    found: dict[str, Any] = {"meta": MetaRewrite, "fewshot": FewShot, "reflective": Reflective}
    for args, kwargs in collect("optimizers"):
        values = {**dict(zip(("name", "factory"), args, strict=False)), **kwargs}
        found.setdefault(str(values["name"]), values["factory"])
    if name not in found:
        from genloop.errors import InvalidInput

        raise InvalidInput(f"unknown optimization strategy {name!r}", hint=f"use one of: {', '.join(sorted(found))}")
    strategy: Strategy = found[name](spec, variables, rng)
    return strategy
