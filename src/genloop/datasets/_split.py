"""Deterministic train/test splits: which rows go to the test part, from a seed.

The choice is a seeded permutation (``numpy.random.default_rng(seed)``), so the same version, size and
seed always give the same parts, on any machine. With ``stratify``, each class of that column (nulls
are a class of their own) gives the test part its share, allotted by largest remainder so the total
is exact. Rows keep their original order inside each part, so a split streams: only a boolean mask
of the row count is held in memory, never the rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from genloop.datasets._import import VersionWriter
from genloop.errors import InvalidInput

__all__ = ["choose_test_rows", "count_test_rows", "split_into"]


def count_test_rows(num_rows: int, test_size: float) -> int:
    """Rows in the test part: ``ceil(test_size * n)`` for a fraction in (0, 1), else ``test_size`` itself."""
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not math.isfinite(test_size):
        raise InvalidInput(f"test_size must be a number, got {test_size!r}", hint="e.g. 0.2 or 100")
    if 0 < test_size < 1:
        count = math.ceil(test_size * num_rows)
    elif test_size >= 1 and float(test_size).is_integer():
        count = int(test_size)
    else:
        raise InvalidInput(f"invalid test_size {test_size!r}",
                           hint="give a fraction between 0 and 1 (0.2) or a whole number of rows (100)")
    if not 1 <= count <= num_rows - 1:
        raise InvalidInput(
            f"test_size {test_size!r} gives {count} test rows out of {num_rows}; both parts need at least one row",
            hint=f"use a test size between 1 and {num_rows - 1} rows" if num_rows > 1 else "add rows first")
    return count


def choose_test_rows(num_rows: int, count: int, seed: int, strata: pa.ChunkedArray | pa.Array | None = None) -> np.ndarray:
    """A boolean array of ``num_rows``: True for the ``count`` rows of the test part."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(num_rows, dtype=bool)
    if strata is None:
        mask[rng.permutation(num_rows)[:count]] = True
        return mask
    codes = _class_codes(strata)
    classes, sizes = np.unique(codes, return_counts=True)
    quotas = sizes * count / num_rows
    take = np.floor(quotas).astype(np.int64)
    short = count - int(take.sum())
    if short:
        # largest remainders first; ties go to the class seen first in the data (stable sort)
        order = np.argsort(-(quotas - take), kind="stable")
        take[order[:short]] += 1
    for code, k in zip(classes, take, strict=True):
        if k:
            members = np.flatnonzero(codes == code)
            mask[members[rng.permutation(members.size)[:k]]] = True
    return mask


def _class_codes(strata: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """One integer per row naming its class, numbered by first appearance (null is a class too)."""
    if isinstance(strata, pa.ChunkedArray):
        strata = strata.combine_chunks()
    if pa.types.is_nested(strata.type):
        raise InvalidInput(f"cannot stratify on a {strata.type} column", hint="pick a column of labels or numbers")
    encoded = pc.dictionary_encode(strata, null_encoding="encode")
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def split_into(batches: Iterable[pa.RecordBatch], mask: np.ndarray, train: VersionWriter, test: VersionWriter) -> None:
    """Write each row of ``batches`` to ``test`` where ``mask`` is True, else to ``train``, in order."""
    start = 0
    for batch in batches:
        chosen = mask[start:start + batch.num_rows]
        start += batch.num_rows
        if chosen.any():
            test.write(test.normalize(batch.filter(pa.array(chosen))))
        if not chosen.all():
            train.write(train.normalize(batch.filter(pa.array(~chosen))))
