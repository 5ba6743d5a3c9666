"""Train/eval overlap reaches the other engines: tuning warns before training, evaluation reports note it."""

from __future__ import annotations

import logging

import pytest

from genloop.datasets import DatasetService
from genloop.evals import EvalService
from genloop.models import ModelService
from genloop.quality._contamination import warn_train_eval_overlap
from genloop.store import Store

LEAK = "which river flows through the capital city of hungary and divides it into the two old towns buda and pest"


def _data(store: Store) -> None:
    datasets = DatasetService(store)
    datasets.create("golden", [{"input": LEAK, "reference": "Danube"},
                               {"input": "what is the boiling point of water at sea level", "reference": "100 C"}],
                    kind="eval")
    datasets.create("train", [{"prompt": f"Q: {LEAK}", "completion": "The Danube."},
                              {"prompt": "name a primary colour please", "completion": "Red."}], kind="completion")


def test_tuning_check_warns_and_counts(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    _data(store)
    with caplog.at_level(logging.WARNING, logger="genloop.quality"):
        found = warn_train_eval_overlap(DatasetService(store), "train@1", ["golden@1", None])
    assert found == {"train": "train@1", "eval": ["golden@1"], "n": 13, "overlapping_rows": 1, "rows": 2}
    assert "contamination: 1 of 2 rows of train set train@1" in caplog.text
    assert "genloop quality decontaminate train@1 --eval golden@1" in caplog.text
    caplog.clear()
    assert warn_train_eval_overlap(DatasetService(store), "golden@1", ["train@1"]) is not None
    assert warn_train_eval_overlap(DatasetService(store), "train@1", [None]) is None


def test_eval_report_notes_contamination_of_a_candidates_training_data(store: Store) -> None:
    _data(store)
    models = ModelService(store)
    models.register("tuned", kind="provider", uri="mock:echo", metadata={"train_dataset": "train@1"})
    models.register("clean", kind="provider", uri="mock:echo", metadata={})
    evals = EvalService(store)
    spec = {"name": "qa", "dataset": "golden@1", "metrics": ["exact_match"],
            "candidates": [{"name": "tuned", "model": "tuned@1"}, {"name": "clean", "model": "clean@1"},
                           {"name": "api", "model": "mock:echo"}]}
    result = evals.run(spec)
    for fmt in ("markdown", "table", "html"):
        report = evals.report(result.run_id, fmt)
        assert "contamination: 1 of 2 training rows of tuned@1 (train@1) share a word 13-gram with golden@1" in report
        assert "clean@1" not in report.split("contamination")[1][:200]
