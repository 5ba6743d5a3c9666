"""The built-in metrics and judges, registered through the same hooks third-party plugins use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genloop.hookspecs import hookimpl


@hookimpl
def register_metrics(register: Callable[..., Any]) -> None:
    """Every computed metric of :mod:`genloop.evals.metrics`."""
    from genloop.evals.metrics import builtin_metrics

    for metric in builtin_metrics():
        register(metric)


@hookimpl
def register_judges(register: Callable[..., Any]) -> None:
    """The pointwise rubric judge, the pairwise judge, and the RAG judges (faithfulness, context recall and
    precision, answer relevance)."""
    from genloop.evals._judges import PairwiseJudge, PointwiseJudge
    from genloop.evals._rag_judges import RAG_JUDGES

    register("pointwise", PointwiseJudge)
    register("pairwise", PairwiseJudge)
    for name, judge in RAG_JUDGES.items():
        register(name, judge)
