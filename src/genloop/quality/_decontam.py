"""Decontamination: training rows that overlap an evaluation set, by word n-grams and near duplicates.

The eval rows' word ``n``-grams (13 by default, as in the GPT-3 paper's contamination study) are hashed
into one sorted uint64 array; each training row's n-grams are looked up in it with a binary search, all
vectorised, a batch of rows at a time. A row sharing at least one n-gram overlaps. With a
``threshold``, rows whose MinHash estimate of Jaccard similarity to some eval row reaches it (band
hashes of the eval rows looked up the same way, then verified on the signatures) overlap too; this
catches short rows with fewer than ``n`` words and light rewordings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from genloop.datasets import DatasetVersion
from genloop.errors import InvalidInput
from genloop.quality._job import Job, rows_mask_filter
from genloop.quality._minhash import check_threshold, lsh_params, signatures
from genloop.quality._schemas import QualityResult
from genloop.quality._text import document_text, text_fields
from genloop.quality._tokens import Words, mix64, ngram_hashes, split_words

__all__ = ["EvalIndex", "decontaminate", "overlap_rows"]

NUM_PERM = 128
SHINGLE = 3
_EXAMPLES = 5


@dataclass
class EvalIndex:
    """Hashed n-grams of the eval rows (sorted) and, with a threshold, their MinHash band tables."""

    n: int
    grams: np.ndarray
    threshold: float | None
    rows: int
    sig: np.ndarray | None = None
    bands: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    band_rows: int = 0

    @classmethod
    def build(cls, texts: pa.Array, n: int, threshold: float | None) -> EvalIndex:
        words = split_words(texts)
        grams, _ = ngram_hashes(words, n)
        index = cls(n=n, grams=np.unique(grams), threshold=threshold, rows=len(texts))
        if threshold is not None:
            num_bands, index.band_rows = lsh_params(threshold, NUM_PERM)
            sig = _signatures(words)
            index.sig = sig
            for band in range(num_bands):
                h = _band_hash(sig, band, index.band_rows)
                order = np.argsort(h, kind="stable")
                index.bands.append((h[order], order))
        return index

    def match(self, words: Words) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per training text: n-grams found in the eval set, the best near-duplicate similarity, and its eval row."""
        grams, parent = ngram_hashes(words, self.n)
        hits = np.zeros(words.num_texts, np.int64)
        if len(grams) and len(self.grams):
            pos = np.searchsorted(self.grams, grams)
            found = self.grams[np.minimum(pos, len(self.grams) - 1)] == grams
            hits = np.bincount(parent[found], minlength=words.num_texts)
        best = np.zeros(words.num_texts)
        partner = np.full(words.num_texts, -1, np.int64)
        if self.sig is not None:
            sig = _signatures(words)
            valid = sig[:, 0] != np.uint32(0xFFFFFFFF)
            for band, (table, order) in enumerate(self.bands):
                h = _band_hash(sig, band, self.band_rows)
                pos = np.minimum(np.searchsorted(table, h), len(table) - 1)
                cand = np.flatnonzero((table[pos] == h) & valid)
                if not len(cand):
                    continue
                other = order[pos[cand]]
                sim = (sig[cand] == self.sig[other]).mean(axis=1)
                better = sim > best[cand]
                best[cand[better]] = sim[better]
                partner[cand[better]] = other[better]
        return hits, best, partner


def _signatures(words: Words) -> np.ndarray:
    grams, parent = ngram_hashes(words, SHINGLE)
    return signatures(grams, parent, words.num_texts, NUM_PERM)


def _band_hash(sig: np.ndarray, band: int, rows: int) -> np.ndarray:
    h = np.full(sig.shape[0], np.uint64(band), np.uint64)
    for col in range(band * rows, (band + 1) * rows):
        h = mix64(h ^ sig[:, col].astype(np.uint64))
    return h


def _check(n: int, threshold: float | None, action: str, eval_refs: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 64:
        raise InvalidInput(f"n must be an integer from 1 to 64, got {n!r}", hint="13 is the usual n-gram length")
    if threshold is not None:
        check_threshold(threshold)
    if action not in ("remove", "flag"):
        raise InvalidInput(f"unknown action {action!r}", hint="use remove (write a new version) or flag (report only)")
    if not eval_refs or isinstance(eval_refs, str) or not all(isinstance(r, str) for r in eval_refs):
        raise InvalidInput("decontaminate needs eval_refs, a list of eval dataset references", hint="e.g. ['golden@3']")


def build_index(job: Job, eval_refs: Iterable[str], n: int, threshold: float | None
                ) -> tuple[EvalIndex, list[DatasetVersion], list[str]]:
    versions = [job.version(ref) for ref in eval_refs]
    texts = []
    for version in versions:
        schema = job.schema(version)
        fields = text_fields(schema)
        texts.extend(document_text(b, fields) for b in job.batches(version, columns=fields))
    eval_texts = pa.concat_arrays(texts) if texts else pa.array([], pa.string())
    return EvalIndex.build(eval_texts, n, threshold), versions, eval_texts.to_pylist()


def overlap_rows(job: Job, version: DatasetVersion, index: EvalIndex, columns: list[str] | None = None
                 ) -> Iterator[tuple[int, pa.Array, np.ndarray, np.ndarray, np.ndarray]]:
    """For each batch of ``version``: its first row index, texts, n-gram hits, best similarity, eval partner."""
    fields = text_fields(job.schema(version), columns, version=version)
    start = 0
    for batch in job.batches(version, columns=fields, batch_size=32_768):
        texts = document_text(batch, fields)
        hits, best, partner = index.match(split_words(texts))
        yield start, texts, hits, best, partner
        start += batch.num_rows


def decontaminate(job: Job, ref: str, eval_refs: list[str], *, n: int = 13, threshold: float | None = 0.8,
                  action: str = "remove", columns: list[str] | None = None, name: str | None = None,
                  message: str = "") -> QualityResult:
    """Remove (or flag) rows of ``ref`` that overlap the eval sets; see :meth:`QualityService.decontaminate`."""
    _check(n, threshold, action, eval_refs)
    version = job.version(ref)
    index, eval_versions, eval_texts = build_index(job, eval_refs, n, threshold)
    params = {"eval": [v.ref for v in eval_versions], "n": n, "threshold": threshold, "action": action}
    with job.run("decontaminate", version, params, extra_inputs=[f"dataset:{v.ref}" for v in eval_versions]) as run:
        flagged: list[np.ndarray] = []
        by_ngram = by_near = 0
        examples: list[dict[str, Any]] = []
        matches: list[pa.RecordBatch] = []
        for start, texts, hits, best, partner in overlap_rows(job, version, index, columns):
            near = best >= threshold if threshold is not None else np.zeros(len(hits), bool)
            bad = (hits > 0) | near
            flagged.append(bad)
            by_ngram += int((hits > 0).sum())
            by_near += int((near & (hits == 0)).sum())
            rows = np.flatnonzero(bad)
            if len(rows):
                matches.append(pa.RecordBatch.from_pydict({
                    "row": pa.array(rows + start, pa.int64()), "ngram_hits": pa.array(hits[rows], pa.int64()),
                    "similarity": pa.array(best[rows]), "eval_row": pa.array(partner[rows], pa.int64())}))
            for r in rows[:max(0, _EXAMPLES - len(examples))]:
                examples.append({"row": int(r + start), "ngram_hits": int(hits[r]), "similarity": round(float(best[r]), 3),
                                 "text": texts[int(r)].as_py()[:200],
                                 "eval_text": eval_texts[partner[r]][:200] if partner[r] >= 0 else None})
        bad_all = np.concatenate(flagged) if flagged else np.zeros(0, bool)
        contaminated = int(bad_all.sum())
        report = {"eval": params["eval"], "eval_rows": index.rows, "n": n, "threshold": threshold, "action": action,
                  "rows_in": len(bad_all), "contaminated": contaminated, "by_ngram": by_ngram,
                  "by_near_duplicate_only": by_near, "rate": round(contaminated / max(len(bad_all), 1), 6),
                  "examples": examples}
        if matches:
            report["matches_artifact"] = "contaminated.parquet"
            job.artifact(run, "contaminated.parquet", matches)
        output, created = None, False
        if action == "remove" and contaminated:
            if contaminated == len(bad_all):
                raise InvalidInput(f"every row of {version.ref} overlaps the eval set; nothing would remain",
                                   hint="check that the eval and training sets are not the same data")
            output, created = job.write(run, version, lambda: rows_mask_filter(job.batches(version), ~bad_all),
                                        op="decontaminate", name=name, message=message,
                                        transform={"eval": params["eval"], "n": n, "threshold": threshold,
                                                   "removed": contaminated})
        run.summary = {"report": report, "output": output.ref if output else None}
    rows_out = len(bad_all) - (contaminated if output is not None else 0)
    return QualityResult(op="decontaminate", run_id=run.id, source=version.ref, dataset=output, created=created,
                         rows_in=len(bad_all), rows_out=rows_out, report=report)
