"""Prompt optimization that proves its gain: candidates scored with intervals, one paired held-out test.

    from genloop.optimize import PromptOptimizer

    result = PromptOptimizer(client).run({
        "prompt": "support@production", "dataset": "support-golden@3", "model": "openai:gpt-4o-mini",
        "metric": "exact_match", "eval": {"metrics": ["exact_match"]},
        "strategy": "meta", "optimizer_model": "openai:gpt-4o", "rounds": 3, "budget": {"max_cost": 2.0},
    })
    print(result.held_out.verdict)        # significant on data it was not tuned on, or plainly not

Strategies: ``meta`` (rewrites from failures), ``fewshot`` (demonstrations bootstrapped from correct outputs),
``reflective`` (GEPA-style: reflections on failures, parents from the Pareto front over examples), and any a
plugin registers through ``register_optimizers``. Nothing is labelled: move a label through the normal path.
"""

from genloop.optimize._engine import CandidateScore, HeldOutResult, OptimizeResult, PromptOptimizer
from genloop.optimize._spec import Budget, OptimizeSpec
from genloop.optimize._strategies import Candidate, Proposal, Strategy, pareto_front

__all__ = [
    "Budget",
    "Candidate",
    "CandidateScore",
    "HeldOutResult",
    "OptimizeResult",
    "OptimizeSpec",
    "PromptOptimizer",
    "Proposal",
    "Strategy",
    "pareto_front",
]
