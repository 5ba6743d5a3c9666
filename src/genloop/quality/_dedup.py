"""Deduplication: exact (canonical hash), near (MinHash + LSH over word n-grams) or semantic (embeddings).

Rows are grouped into clusters; one row per cluster is kept by a rule (``first``, ``longest``, or
``score:COLUMN``, the highest score). The removed rows, each with its cluster id (the index of the row
kept), are stored with the run as ``removed.parquet`` for review.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from genloop.datasets import DatasetVersion
from genloop.errors import InvalidInput
from genloop.quality._job import Job, rows_mask_filter
from genloop.quality._minhash import check_threshold, clusters_from_pairs, find_near_duplicates
from genloop.quality._schemas import QualityResult
from genloop.quality._text import document_text, text_fields
from genloop.quality._tokens import hash_strings, split_words

__all__ = ["METHODS", "canonical_hashes", "dedup"]

METHODS = ("exact", "near", "semantic")
SEMANTIC_MAX_ROWS = 50_000


def canonical_hashes(texts: pa.Array) -> np.ndarray:
    """A hash of each text, lower-cased with runs of white space made one space and ends trimmed."""
    canonical = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_lower(texts), r"\s+", " "))
    return hash_strings(canonical)


def _keep_rule(keep: str, version: DatasetVersion, schema: pa.Schema) -> tuple[str, str | None]:
    if keep in ("first", "longest"):
        return keep, None
    if isinstance(keep, str) and keep.startswith("score:"):
        column = keep.split(":", 1)[1]
        version.require_columns([column])
        dtype = schema.field(column).type
        if not (pa.types.is_integer(dtype) or pa.types.is_floating(dtype)):
            raise InvalidInput(f"score column {column!r} is {dtype}, not a number", hint="choose a numeric column")
        return "score", column
    raise InvalidInput(f"unknown keep rule {keep!r}", hint="use first, longest or score:COLUMN")


def _check_method(method: str, num_perm: int, ngram: int) -> None:
    if method not in METHODS:
        raise InvalidInput(f"unknown dedup method {method!r}", hint=f"use one of: {', '.join(METHODS)}")
    for name, value, low, high in (("num_perm", num_perm, 16, 1024), ("ngram", ngram, 1, 32)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(f"{name} must be an integer from {low} to {high}, got {value!r}")


def dedup(job: Job, ref: str, *, method: str = "near", threshold: float = 0.8, num_perm: int = 128,
          ngram: int = 3, keep: str = "first", columns: list[str] | None = None, name: str | None = None,
          message: str = "", embedder: str | None = None) -> QualityResult:
    """Remove duplicate rows of ``ref`` into a new version; see :meth:`QualityService.dedup`."""
    _check_method(method, num_perm, ngram)
    check_threshold(threshold)
    version = job.version(ref)
    schema = job.schema(version)
    fields = text_fields(schema, columns, version=version)
    rule, score_column = _keep_rule(keep, version, schema)
    if method == "semantic" and version.num_rows > SEMANTIC_MAX_ROWS:
        raise InvalidInput(f"semantic dedup compares every pair; {version.ref} has {version.num_rows} rows "
                           f"(at most {SEMANTIC_MAX_ROWS})", hint="use method 'near' for large versions")
    params = {"method": method, "threshold": threshold, "num_perm": num_perm, "ngram": ngram, "keep": keep,
              "columns": fields}
    with job.run("dedup", version, params) as run:
        texts, scores = _read(job, version, fields, score_column)
        similarity = np.ones(len(texts))
        if method == "exact":
            cluster = _exact_clusters(canonical_hashes(texts))
        elif method == "near":
            found = find_near_duplicates(split_words(texts), threshold=threshold, num_perm=num_perm, ngram=ngram)
            cluster = found.cluster
            if len(found.pairs):  # a removed row's estimated similarity to an earlier row of its cluster
                similarity[found.pairs[:, 1]] = found.similarity
            params["lsh"] = {"bands": found.bands, "rows": found.rows}
        else:
            cluster = _semantic_clusters(job, texts, threshold, embedder)
        lengths = np.asarray(pc.utf8_length(texts), dtype=np.int64)
        kept_row = _choose(cluster, rule, lengths, scores)
        keep_mask = kept_row == np.arange(len(cluster))
        removed = int((~keep_mask).sum())
        sizes = np.bincount(kept_row, minlength=len(cluster))
        report: dict[str, Any] = {
            "method": method, "rows_in": len(cluster), "rows_removed": removed, "rows_out": len(cluster) - removed,
            "clusters_with_duplicates": int((sizes > 1).sum()), "largest_cluster": int(sizes.max(initial=0)),
            "keep": keep, "threshold": threshold if method != "exact" else None,
        }
        if "lsh" in params:
            report["lsh"] = params["lsh"]
        if removed == len(cluster):
            raise InvalidInput("every row would be removed", hint="check the threshold")
        rows_out = len(cluster) - removed
        output = None
        created = False
        if removed:
            def removed_rows() -> Any:
                start = 0
                for batch in job.batches(version):
                    index = np.arange(start, start + batch.num_rows)
                    start += batch.num_rows
                    gone = ~keep_mask[index]
                    if gone.any():
                        part = batch.filter(pa.array(gone))
                        rows = index[gone]
                        part = part.append_column("_row", pa.array(rows)).append_column(
                            "_cluster", pa.array(kept_row[rows])).append_column(
                            "_similarity", pa.array(similarity[rows]))
                        yield part

            report["removed_artifact"] = "removed.parquet"
            job.artifact(run, "removed.parquet", removed_rows())
            output, created = job.write(run, version, lambda: rows_mask_filter(job.batches(version), keep_mask),
                                        op="dedup", name=name, message=message,
                                        transform={"method": method, "threshold": threshold, "keep": keep,
                                                   "removed": removed})
        report["examples"] = _examples(texts, kept_row, keep_mask)
        run.summary = {"report": report, "output": output.ref if output else None}
    return QualityResult(op="dedup", run_id=run.id, source=version.ref, dataset=output, created=created,
                         rows_in=len(cluster), rows_out=rows_out, report=report)


def _read(job: Job, version: DatasetVersion, fields: list[str], score_column: str | None
          ) -> tuple[pa.Array, np.ndarray | None]:
    texts: list[pa.Array] = []
    scores: list[np.ndarray] = []
    columns = fields + ([score_column] if score_column and score_column not in fields else [])
    for batch in job.batches(version, columns=columns):
        texts.append(document_text(batch, fields))
        if score_column:
            values = pc.cast(batch.column(score_column), pa.float64()).fill_null(-np.inf)
            scores.append(np.asarray(values))
    text = pa.concat_arrays(texts) if texts else pa.array([], pa.string())
    return text, (np.concatenate(scores) if score_column else None)


def _exact_clusters(hashes: np.ndarray) -> np.ndarray:
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    return first[inverse]


def _semantic_clusters(job: Job, texts: pa.Array, threshold: float, embedder_name: str | None) -> np.ndarray:
    from genloop.quality._embed import get_embedder

    embedder = get_embedder(embedder_name, settings=job.store.settings)
    values = texts.to_pylist()
    embedder.fit(values)
    vectors = embedder.embed(values)
    pairs = []
    for lo in range(0, len(vectors), 2048):
        block = vectors[lo:lo + 2048] @ vectors.T
        i, j = np.nonzero(block >= threshold)
        i = i + lo
        upper = i < j
        pairs.append(np.stack([i[upper], j[upper]], axis=1))
    joined = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
    return clusters_from_pairs(len(values), joined.astype(np.int64))


def _choose(cluster: np.ndarray, rule: str, lengths: np.ndarray, scores: np.ndarray | None) -> np.ndarray:
    """For each row, the index of the row its cluster keeps."""
    index = np.arange(len(cluster))
    if rule == "first":
        order = np.lexsort((index, cluster))
    elif rule == "longest":
        order = np.lexsort((index, -lengths, cluster))
    else:
        assert scores is not None
        order = np.lexsort((index, -scores, cluster))
    sorted_cluster = cluster[order]
    heads = np.ones(len(order), bool)
    heads[1:] = sorted_cluster[1:] != sorted_cluster[:-1]
    winner_of = np.empty(len(cluster), np.int64)
    winner_of[sorted_cluster[heads]] = order[heads]
    return winner_of[cluster]


def _examples(texts: pa.Array, kept_row: np.ndarray, keep_mask: np.ndarray, count: int = 5) -> list[dict[str, Any]]:
    rows = np.flatnonzero(~keep_mask)[:count]
    return [{"row": int(r), "kept_row": int(kept_row[r]), "text": texts[int(r)].as_py()[:200],
             "kept_text": texts[int(kept_row[r])].as_py()[:200]} for r in rows]
