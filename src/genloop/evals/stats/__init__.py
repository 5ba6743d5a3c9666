"""Statistics for evaluations: pure, seeded numpy functions returning small frozen pydantic models.

    from genloop.evals.stats import bootstrap_ci, compare_paired, wilson_interval

    wilson_interval(8, 10)                     # Interval(estimate=0.8, low=0.490, high=0.943, method='wilson')
    bootstrap_ci(scores, method="bca")         # mean with a bootstrap interval
    bootstrap_corpus_ci(segment_stats, score)  # corpus BLEU/chrF with a bootstrap interval
    compare_paired(scores_a, scores_b)         # delta B - A, paired bootstrap CI, p-value, win/tie/loss, power
    bradley_terry([("x", "y", "a"), ...])      # ranking with bootstrap intervals for strengths and ranks
    judge_agreement(human, judge)              # accuracy, Cohen's kappa, confusion matrix, win rates

Each function's docstring names its method and formula. Every random draw comes from
``numpy.random.default_rng(seed)``, so the same inputs and seed give the same numbers.
"""

from genloop.evals.stats._agreement import cohen_kappa, confusion_matrix, judge_agreement, win_rate
from genloop.evals.stats._bradley_terry import bradley_terry
from genloop.evals.stats._intervals import bootstrap_ci, bootstrap_corpus_ci, wilson_interval
from genloop.evals.stats._models import (
    AgreementReport,
    BradleyTerryResult,
    Interval,
    McNemarResult,
    PairedComparison,
    PowerCheck,
    RankedCandidate,
    WinTieLoss,
)
from genloop.evals.stats._paired import (
    compare_paired,
    mcnemar_test,
    paired_bootstrap_delta,
    sign_flip_test,
    win_tie_loss,
)
from genloop.evals.stats._power import achieved_power, power_check, required_sample_size

__all__ = [
    "AgreementReport",
    "BradleyTerryResult",
    "Interval",
    "McNemarResult",
    "PairedComparison",
    "PowerCheck",
    "RankedCandidate",
    "WinTieLoss",
    "achieved_power",
    "bootstrap_ci",
    "bootstrap_corpus_ci",
    "bradley_terry",
    "cohen_kappa",
    "compare_paired",
    "confusion_matrix",
    "judge_agreement",
    "mcnemar_test",
    "paired_bootstrap_delta",
    "power_check",
    "required_sample_size",
    "sign_flip_test",
    "wilson_interval",
    "win_rate",
    "win_tie_loss",
]
