"""Agreement statistics against the reference implementations (scikit-learn's kappa, the krippendorff package)
on random data, and the per-question report of a queue rated by several people."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from genloop.evals.stats import cohen_kappa
from genloop.review import ReviewService
from genloop.review._alpha import krippendorff_alpha

from .conftest import as_rater, record_traces

LEVELS = ["nominal", "ordinal", "interval"]


def _close(a: float | None, b: float) -> bool:
    return (a is None and math.isnan(b)) or (a is not None and not math.isnan(b) and a == pytest.approx(b, abs=1e-9))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), raters=st.integers(2, 6), units=st.integers(2, 40),
       values=st.integers(2, 6), missing=st.floats(0, 0.5), level=st.sampled_from(LEVELS))
def test_alpha_equals_the_krippendorff_package(seed, raters, units, values, missing, level) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(1, values + 1, size=(raters, units)).astype(float)
    data[rng.random((raters, units)) < missing] = np.nan
    matrix = [[None if np.isnan(x) else int(x) for x in data[:, j]] for j in range(units)]
    mine = krippendorff_alpha(matrix, level)
    pairable = sum(1 for unit in matrix if sum(v is not None for v in unit) >= 2)
    if pairable == 0 or len({v for unit in matrix if sum(x is not None for x in unit) >= 2
                             for v in unit if v is not None}) < 2:
        assert mine is None  # undefined: nothing to pair, or one value throughout
        return
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert _close(mine, reference)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 60), labels=st.integers(2, 6),
       weights=st.sampled_from([None, "linear", "quadratic"]))
def test_kappa_equals_scikit_learn(seed, n, labels, weights) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, labels + 1, size=n).tolist()
    b = [x if rng.random() < 0.5 else int(rng.integers(1, labels + 1)) for x in a]
    if len(set(a) | set(b)) < 2:
        assert cohen_kappa(a, b, weights=weights) is None
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        reference = cohen_kappa_score(a, b, weights=weights)
    assert _close(cohen_kappa(a, b, weights=weights), reference)


def test_queue_agreement_report(store, review: ReviewService) -> None:
    review.create_schema("grade", [{"name": "score", "type": "likert", "points": ["1", "2", "3", "4", "5"]},
                                   {"name": "ok", "type": "boolean"}, {"name": "why", "type": "comment",
                                                                       "required": False}])
    record_traces(store, 12)
    review.create_queue("q", "grade", ratings_per_item=3)
    review.add_traces("q")
    rng = np.random.default_rng(7)
    truth = rng.integers(1, 6, size=12)
    given_scores = {}
    for rater, noise in (("ann", 0), ("ben", 1), ("cat", 2)):
        service = as_rater(review, rater)
        item = service.claim("q")
        while item is not None:
            score = int(np.clip(truth[item.position] + rng.integers(-noise, noise + 1), 1, 5))
            given_scores[(item.position, rater)] = score
            item = service.submit("q", item.id, {"score": score, "ok": score >= 3}).next
    report = review.agreement("q")
    assert report.ratings == 36 and [q.question for q in report.questions] == ["score", "ok"]
    score = report.questions[0]
    assert (score.level, score.items, score.raters, score.kappa) == ("ordinal", 12, 3, None)  # kappa: 2 raters only
    data = np.array([[given_scores[(p, r)] for p in range(12)] for r in ("ann", "ben", "cat")], dtype=float)
    assert score.alpha == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal"))
    raters = {r.rater: r for r in report.raters}
    assert set(raters) == {"ann", "ben", "cat"} and all(r.rated == 12 for r in raters.values())
    assert raters["ann"].compared > 0 and 0 <= raters["ann"].agreement_with_majority <= 1
    assert any("rough" in w for w in score.warnings)
