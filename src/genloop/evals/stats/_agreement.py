"""Judge validation: how a model judge agrees with human labels on the same items.

Accuracy (with a Wilson interval), Cohen's kappa (Cohen, 1960): ``kappa = (p_o - p_e) / (1 - p_e)`` with
``p_o`` the observed agreement and ``p_e = sum_k p_human(k) * p_judge(k)`` the agreement expected by chance;
weighted kappa for ordinal labels (Cohen, 1968): ``1 - sum w_ij O_ij / sum w_ij E_ij`` with linear
(``|i - j| / (K - 1)``) or quadratic (its square) disagreement weights; the confusion matrix; and for
pairwise labels (``a``, ``b``, ``tie``) the win rate of A that humans and the judge each give.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from genloop.errors import InvalidInput
from genloop.evals.stats._intervals import wilson_interval
from genloop.evals.stats._models import AgreementReport

__all__ = ["cohen_kappa", "confusion_matrix", "judge_agreement", "win_rate"]

_PAIRWISE = {"a", "b", "tie"}


def _sort_key(label: Hashable) -> tuple[int, float, str]:
    if isinstance(label, bool):
        return (1, float(label), str(label))
    if isinstance(label, int | float):
        return (0, float(label), "")
    return (1, 0.0, str(label))


def _labels(human: Sequence[Hashable], judge: Sequence[Hashable], labels: Sequence[Hashable] | None) -> list:
    if len(human) != len(judge):
        raise InvalidInput(f"human and judge labels must cover the same items ({len(human)} vs {len(judge)})")
    found = set(human) | set(judge)
    if labels is None:
        return sorted(found, key=_sort_key)
    unknown = found - set(labels)
    if unknown:
        raise InvalidInput(f"labels {sorted(map(str, unknown))} are not among {list(labels)}")
    return list(labels)


def confusion_matrix(human: Sequence[Hashable], judge: Sequence[Hashable],
                     labels: Sequence[Hashable] | None = None) -> tuple[list, np.ndarray]:
    """``(labels, counts)`` with ``counts[i, j]`` the items humans labelled ``labels[i]`` and the judge
    ``labels[j]``; labels sorted (numbers numerically) unless given."""
    names = _labels(human, judge, labels)
    index = {label: i for i, label in enumerate(names)}
    counts = np.zeros((len(names), len(names)), dtype=np.int64)
    for h, j in zip(human, judge, strict=True):
        counts[index[h], index[j]] += 1
    return names, counts


def _kappa(counts: np.ndarray, weights: str | None) -> float | None:
    n = counts.sum()
    if n == 0:
        return None
    observed = counts / n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    k = len(counts)
    if weights is None:
        w = 1.0 - np.eye(k)
    else:
        distance = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / max(k - 1, 1)
        w = distance if weights == "linear" else distance**2
    chance = float(np.sum(w * expected))
    if chance <= 1e-15:
        return None  # every item has one label on both sides: kappa is undefined (0 / 0)
    return 1.0 - float(np.sum(w * observed)) / chance


def cohen_kappa(human: Sequence[Hashable], judge: Sequence[Hashable], *, labels: Sequence[Hashable] | None = None,
                weights: str | None = None) -> float | None:
    """Cohen's kappa (``weights=None``) or weighted kappa (``"linear"`` or ``"quadratic"``, for ordinal
    labels in the order of ``labels``); None when undefined (no items, or a single label used throughout)."""
    if weights not in (None, "linear", "quadratic"):
        raise InvalidInput(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")
    _, counts = confusion_matrix(human, judge, labels)
    return _kappa(counts, weights)


def win_rate(labels: Sequence[str]) -> float | None:
    """Pairwise labels' win rate of A: ``(#a + #tie / 2) / n``; None without labels."""
    if not labels:
        return None
    return (sum(x == "a" for x in labels) + sum(x == "tie" for x in labels) / 2) / len(labels)


def judge_agreement(human: Sequence[Hashable | None], judge: Sequence[Hashable | None], *,
                    labels: Sequence[Hashable] | None = None, weights: str | None = None,
                    level: float = 0.95) -> AgreementReport:
    """Agreement of ``judge`` with ``human`` labels item by item (None on either side: dropped, counted in
    ``missing``). ``weights`` adds a weighted kappa for ordinal labels. Pairwise labels (all of them in
    a/b/tie) also give the human and judge win rates of A."""
    if len(human) != len(judge):
        raise InvalidInput(f"human and judge labels must cover the same items ({len(human)} vs {len(judge)})")
    kept = [(h, j) for h, j in zip(human, judge, strict=True) if h is not None and j is not None]
    hs, js = [h for h, _ in kept], [j for _, j in kept]
    names, counts = confusion_matrix(hs, js, labels)
    agree = int(np.trace(counts))
    pairwise = bool(kept) and set(hs) | set(js) <= _PAIRWISE
    return AgreementReport(
        n=len(kept), missing=len(human) - len(kept), labels=[str(x) for x in names],
        confusion=counts.tolist(), accuracy=wilson_interval(agree, len(kept), level), kappa=_kappa(counts, None),
        weighted_kappa=_kappa(counts, weights) if weights else None, weights=weights,
        human_win_rate=win_rate(hs) if pairwise else None,  # type: ignore[arg-type]
        judge_win_rate=win_rate(js) if pairwise else None,  # type: ignore[arg-type]
    )
