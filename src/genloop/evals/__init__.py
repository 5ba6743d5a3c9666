"""Evaluation: run a spec over a dataset, score with computed metrics and model judges, compare, gate, report.

    from genloop import Client
    from genloop.evals import EvalSpec

    spec = EvalSpec.load("eval.yaml")          # or EvalSpec(dataset="golden@3", candidates=[...], ...)
    result = Client().evals.run(spec)          # a Run of kind "eval" with one item per example and candidate
    result.metrics["rouge_l.ci_low"]
    result.assert_gates("rouge_l>=0.4", "pairwise.win_rate>0.5")

Spec (YAML)::

    name: qa-eval
    dataset: golden@production           # pinned to NAME@N at the start of the run
    id_column: id                        # optional; default row position
    reference_column: answer             # optional; default 'reference' when present
    candidates:                          # list the baseline first: pairwise judges compare later ones to it
      - {name: base, prompt: qa@1, model: openai:gpt-4o-mini}
      - {name: new, prompt: qa@2, model: champion@2, params: {temperature: 0}}
      - {name: logged, output_column: production_answer}
    metrics: [exact_match, rouge_l, {name: regex, pattern: "^\\d+$"}, bleu, latency, cost]
    # two variants of one metric: {metric: rouge, name: rouge_2s, variant: rouge2, stemmer: true}
    # (in a mapping, 'name' alone picks the metric; with 'metric', 'name' labels it)
    judges:
      - {name: helpfulness, type: pointwise, model: openai:gpt-4o, use_reference: true, samples: 3}
      - {name: pairwise, type: pairwise, model: openai:gpt-4o}     # both orders; a flip is a tie
    repeats: 1
    limit: 200                           # a seeded sample of the rows
    seed: 0
    concurrency: 32
    max_cost: 5.0                        # USD; the run stops cleanly (cancelled, reason cost_cap)
    executor: local                      # or ray (pip install 'genloop[ray]')
    gates: ["rouge_l.ci_low>=0.35", "pairwise.win_rate>0.5"]

A run reports each metric's mean over examples with a confidence interval; BLEU and chrF report their corpus
score (``bleu``) beside the item mean (``bleu.mean``).

Runs resume: the same spec (same pinned versions) continues the latest unfinished run, carrying its finished
items over; model calls are cached by a content hash of (provider, model, messages, parameters).
"""

from genloop.evals._backend import LocalBackend
from genloop.evals._calls import ModelTarget
from genloop.evals._compare import compare_items
from genloop.evals._executors import Executor, LocalExecutor, RayExecutor, get_executor
from genloop.evals._gates import check_gates, parse_gate
from genloop.evals._judges import BUILTIN_JUDGE_PROMPTS, PairwiseJudge, PointwiseJudge
from genloop.evals._report import FORMATS, render_report
from genloop.evals._runner import EvalEngine
from genloop.evals._schemas import (
    Aggregate,
    Comparison,
    EvalItem,
    EvalPair,
    EvalResult,
    GateResult,
    ItemChange,
    JudgeAgreement,
    MetricComparison,
    PairwiseSummary,
    RankEntry,
)
from genloop.evals._service import EvalService
from genloop.evals._spec import CandidateSpec, EvalSpec, JudgeSpec
from genloop.evals._verdicts import parse_pairwise, parse_score

__all__ = [
    "BUILTIN_JUDGE_PROMPTS",
    "FORMATS",
    "Aggregate",
    "CandidateSpec",
    "Comparison",
    "EvalEngine",
    "EvalItem",
    "EvalPair",
    "EvalResult",
    "EvalService",
    "EvalSpec",
    "Executor",
    "GateResult",
    "ItemChange",
    "JudgeAgreement",
    "JudgeSpec",
    "LocalBackend",
    "LocalExecutor",
    "MetricComparison",
    "ModelTarget",
    "PairwiseJudge",
    "PairwiseSummary",
    "PointwiseJudge",
    "RankEntry",
    "RayExecutor",
    "check_gates",
    "compare_items",
    "get_executor",
    "parse_gate",
    "parse_pairwise",
    "parse_score",
    "render_report",
]
