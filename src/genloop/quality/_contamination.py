"""Train/eval overlap where other engines need it: a warning before tuning, notes in evaluation reports.

Both use the decontamination index (word 13-grams, hashed) on whole versions read through the
services they are given, so they work in-process and against a server alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from genloop.errors import GenLoopError
from genloop.quality._decontam import EvalIndex
from genloop.quality._text import document_text, text_fields
from genloop.quality._tokens import split_words

__all__ = ["contamination_notes", "table_overlap", "warn_train_eval_overlap"]

N = 13
log = logging.getLogger("genloop.quality")


def _texts(table: pa.Table) -> pa.Array:
    fields = text_fields(table.schema)
    return document_text(table, fields)


def table_overlap(train: pa.Table, evals: Iterable[pa.Table], n: int = N) -> tuple[int, int]:
    """``(rows of train sharing a word n-gram with any eval table, rows of train)``."""
    eval_texts = [_texts(t) for t in evals if t.num_rows]
    if not eval_texts or not train.num_rows:
        return 0, train.num_rows
    index = EvalIndex.build(pa.concat_arrays([a.cast(pa.string()) for a in eval_texts]), n, None)
    hits, _, _ = index.match(split_words(_texts(train)))
    return int(np.count_nonzero(hits)), train.num_rows


def warn_train_eval_overlap(datasets: Any, train_ref: str, eval_refs: Iterable[str | None]) -> dict[str, Any] | None:
    """Log a warning (and return the counts) when the training set shares 13-grams with an eval set."""
    refs = sorted({r for r in eval_refs if r})
    if not refs:
        return None
    try:
        train = datasets.read(train_ref)
        overlapping, rows = table_overlap(train, [datasets.read(r) for r in refs])
    except GenLoopError as exc:  # a set without text columns: nothing to compare
        log.debug("overlap check skipped: %s", exc)
        return None
    if not overlapping:
        return None
    found = {"train": train_ref, "eval": refs, "n": N, "overlapping_rows": overlapping, "rows": rows}
    log.warning("contamination: %d of %d rows of train set %s share a word %d-gram with %s; remove them with "
                "`genloop quality decontaminate %s --eval %s`", overlapping, rows, train_ref, N, ", ".join(refs),
                train_ref, " --eval ".join(refs))
    return found


def contamination_notes(store: Any, project: str, result: Any) -> list[str]:
    """Report lines for an evaluation: candidates whose registered training data overlaps the eval dataset."""
    from genloop.datasets import DatasetService
    from genloop.models import ModelService

    if not result.dataset:
        return []
    notes = []
    datasets = DatasetService(store, project)
    models = ModelService(store, project)
    try:
        eval_table = datasets.read(result.dataset)
    except GenLoopError:
        return []
    for candidate in (result.spec or {}).get("candidates") or []:
        model = candidate.get("model") if isinstance(candidate, dict) else None
        if not model or ":" in model:  # provider:model has no registered training data
            continue
        try:
            train_ref = (models.get(model).metadata or {}).get("train_dataset")
            if not train_ref:
                continue
            overlapping, rows = table_overlap(datasets.read(train_ref), [eval_table])
        except GenLoopError:
            continue
        if overlapping:
            notes.append(f"contamination: {overlapping} of {rows} training rows of {model} ({train_ref}) share a "
                         f"word {N}-gram with {result.dataset}; scores on it may be inflated")
    return notes
