"""Seeded train/test splits: reproducible, exact sizes, stratified, recorded, idempotent."""

from __future__ import annotations

import numpy as np
import pytest

from genloop.datasets._split import choose_test_rows, count_test_rows
from genloop.errors import InvalidInput, NotFound


def test_split_is_seeded_recorded_and_idempotent(client, many_rows) -> None:  # type: ignore[no-untyped-def]
    rows = many_rows(200)
    client.datasets.create("qa", rows, kind="completion")
    first = client.datasets.split("qa", test_size=0.2, seed=7)
    assert (first.train.ref, first.test.ref) == ("qa-train@1", "qa-test@1")
    assert (first.train.num_rows, first.test.num_rows, first.test.kind) == (160, 40, "completion")
    assert first.test.parent == "qa@1" and first.test.parent_version is None
    assert first.test.transform == {"op": "split", "source": "qa@1", "part": "test", "seed": 7, "test_size": 0.2,
                                    "stratify": None, "rows": {"train": 160, "test": 40}}
    train, test = (list(client.datasets.iter_rows(v.ref, batch_size=7)) for v in (first.train, first.test))
    assert sorted(train + test, key=lambda r: int(r["prompt"].split()[1])) == rows  # a partition, order kept
    assert train == sorted(train, key=lambda r: int(r["prompt"].split()[1]))

    again = client.datasets.split("qa@1", test_size=0.2, seed=7)  # same seed: same parts, same versions
    assert again == first
    other = client.datasets.split("qa", test_size=40, seed=8, train_name="tr", test_name="te")
    assert other.test.num_rows == 40 and other.test.content_hash != first.test.content_hash

    strat = client.datasets.split("qa", test_size=0.25, seed=1, stratify="label", train_name="s-tr", test_name="s-te")
    labels = [r["label"] for r in client.datasets.iter_rows(strat.test.ref)]
    assert (labels.count("a"), labels.count("b")) == (13, 37)  # 50 and 150 rows of each class, a quarter each
    with pytest.raises(InvalidInput, match="dataset qa@1 has no column 'nope'"):
        client.datasets.split("qa", stratify="nope")
    with pytest.raises(InvalidInput, match="test_size 200 gives 200 test rows out of 200; both parts need"):
        client.datasets.split("qa", test_size=200)
    with pytest.raises(InvalidInput, match="train and test parts would both be 'x'"):
        client.datasets.split("qa", train_name="x", test_name="x")
    with pytest.raises(NotFound, match="dataset 'missing' does not exist"):
        client.datasets.split("missing")


def test_choice_of_rows_is_deterministic_and_exact() -> None:
    assert count_test_rows(10, 0.25) == 3 and count_test_rows(10, 4) == 4 and count_test_rows(10, 4.0) == 4
    for bad in (0, 1.5, -0.2, 10, float("nan"), True):
        with pytest.raises(InvalidInput):
            count_test_rows(10, bad)
    a, b = choose_test_rows(1000, 100, 42), choose_test_rows(1000, 100, 42)
    assert a.sum() == 100 and np.array_equal(a, b) and not np.array_equal(a, choose_test_rows(1000, 100, 43))
    import pyarrow as pa

    strata = pa.array(["x"] * 10 + ["y"] * 20 + [None] * 70)
    mask = choose_test_rows(100, 10, 3, strata)
    assert mask.sum() == 10 and (mask[:10].sum(), mask[10:30].sum(), mask[30:].sum()) == (1, 2, 7)
