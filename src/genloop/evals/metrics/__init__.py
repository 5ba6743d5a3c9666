"""Computed (not model-judged) evaluation metrics.

    from genloop.evals.metrics import get_metric, metric

    rouge = get_metric("rouge_l")                                  # or {"name": "rouge", "variant": "rougeLsum"}
    rouge.score("the cat sat", "a cat sat down").value             # 0.571...
    get_metric({"name": "exact_match", "normalize": ["lower", "strip"]})("Paris ", "paris").passed  # True

    @metric
    def polite(output: str) -> bool:                               # a custom metric from a function
        return "please" in output.lower()

Values are floats in [0, 1] for scores (BLEU and chrF too: sacrebleu's 0-100 divided by 100), raw numbers
for measurements (length, latency, tokens, cost). BLEU and chrF have a real corpus score
(``metric.corpus_score(outputs, references)``); for the others a run's score is the mean of item scores.
BLEU, chrF and ROUGE give exactly sacrebleu's and rouge-score's numbers (tested, and checked in
``bench/bench_metrics.py``), from faster implementations of their own.

Built-ins register through the ``register_metrics`` plugin hook, like third-party metrics.
"""

from genloop.evals.metrics._base import FunctionMetric, Metric, Reference, Score, metric
from genloop.evals.metrics._bleu import BleuScore, corpus_bleu, sentence_bleu, tokenize_13a
from genloop.evals.metrics._chrf import corpus_chrf, sentence_chrf
from genloop.evals.metrics._overlap import Bleu, Chrf, Rouge
from genloop.evals.metrics._porter import porter_stem
from genloop.evals.metrics._recorded import Cost, Latency, Tokens
from genloop.evals.metrics._registry import (
    MetricRegistry,
    builtin_metrics,
    default_registry,
    get_metric,
    parse_metric_spec,
)
from genloop.evals.metrics._rouge import ROUGE_TYPES, RougeScore, rouge_scores
from genloop.evals.metrics._structured import JsonSchema, JsonValid
from genloop.evals.metrics._text import Contains, ExactMatch, Length, Regex, TokenF1, normalize_text

__all__ = [
    "ROUGE_TYPES",
    "Bleu",
    "BleuScore",
    "Chrf",
    "Contains",
    "Cost",
    "ExactMatch",
    "FunctionMetric",
    "JsonSchema",
    "JsonValid",
    "Latency",
    "Length",
    "Metric",
    "MetricRegistry",
    "Reference",
    "Regex",
    "Rouge",
    "RougeScore",
    "Score",
    "TokenF1",
    "Tokens",
    "builtin_metrics",
    "corpus_bleu",
    "corpus_chrf",
    "default_registry",
    "get_metric",
    "metric",
    "normalize_text",
    "parse_metric_spec",
    "porter_stem",
    "rouge_scores",
    "sentence_bleu",
    "sentence_chrf",
    "tokenize_13a",
]
