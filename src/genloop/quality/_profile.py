"""Profiling a dataset version in one streaming pass (Arrow batches; memory bounded by a batch plus a
few bytes per row: lengths and one 8-byte hash).

Counted over every row: column nulls and empties, text lengths in characters and tokens, chat turns and
roles and system prompts, exact duplicates (hash of each row's text), length outliers (3 IQR on log
length), the chosen/rejected length bias of preference data. Estimated on a seeded sample of rows:
near duplicates (MinHash + LSH) and PII hits (the guardrail PII checks); on at most 2,000 of the sampled
rows (the models cost about a millisecond a row): languages (py3langid) and embedding outliers (distance
to the centroid of the default embedder's vectors).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from genloop.quality._minhash import find_near_duplicates
from genloop.quality._schemas import ColumnProfile, Histogram, LengthStats, TextFieldProfile
from genloop.quality._text import document_text, field_text, is_messages, text_fields
from genloop.quality._tokens import count_words, hash_strings, split_words

__all__ = ["Profiler", "length_stats", "sample_rows"]

PUNCTUATION = r"[^\w\s]"
_BINS = 20
_TOP_SYSTEM = 5
_MAX_SYSTEM_TRACKED = 100_000
_PREVIEW = 200
MODEL_SAMPLE = 2_000  # languages and embedding outliers: at most this many of the sampled rows (models are slow)


def sample_rows(num_rows: int, size: int, seed: int) -> np.ndarray:
    """Sorted indices of ``size`` rows picked at random (all rows when there are fewer)."""
    if num_rows <= size:
        return np.arange(num_rows)
    return np.sort(np.random.default_rng(seed).choice(num_rows, size, replace=False))


def length_stats(values: np.ndarray) -> LengthStats:
    """Mean, quantiles and a 20-bin histogram of non-negative integer lengths."""
    if len(values) == 0:
        return LengthStats(mean=0, min=0, p50=0, p90=0, p99=0, max=0, histogram=Histogram(edges=[0, 1], counts=[0]))
    high = int(values.max())
    counts, edges = np.histogram(values, bins=min(_BINS, max(high, 1)), range=(0, max(high, 1)))
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    return LengthStats(mean=round(float(values.mean()), 3), min=int(values.min()), p50=float(p50), p90=float(p90),
                       p99=float(p99), max=high,
                       histogram=Histogram(edges=[round(float(e), 3) for e in edges], counts=counts.tolist()))


class Profiler:
    """Feed it the version's batches in order with :meth:`add`; :meth:`result` gives the profile parts."""

    def __init__(self, schema: pa.Schema, num_rows: int, *, sample: Sequence[int], tokenizer: Any = None) -> None:
        self.schema = schema
        self.fields = text_fields(schema) if any(_texty(f.type) for f in schema) else []
        self.tokenizer = tokenizer
        self.nulls = Counter[str]()
        self.empty = Counter[str]()
        self.chars: dict[str, list[np.ndarray]] = {f: [] for f in self.fields}
        self.tokens: dict[str, list[np.ndarray]] = {f: [] for f in self.fields}
        self.hashes: list[np.ndarray] = []
        self.sample = np.asarray(sample, dtype=np.int64)
        self.sample_texts: list[str] = []
        self.turns: list[np.ndarray] = []
        self.roles = Counter[str]()
        self.rows_with_system = 0
        self.system_prompts: Counter[int] = Counter()
        self.system_text: dict[int, str] = {}
        self.pref: list[tuple[np.ndarray, np.ndarray]] = []
        self.seen = 0

    def add(self, batch: pa.RecordBatch) -> None:
        """Take one batch into every counter."""
        start, n = self.seen, batch.num_rows
        for name in batch.schema.names:
            column = batch.column(name)
            self.nulls[name] += column.null_count
            self.empty[name] += _empty_count(column)
        docs = document_text(batch, self.fields) if self.fields else pa.array([""] * n)
        for name in self.fields:
            text = field_text(batch.column(name))
            self.chars[name].append(np.asarray(pc.utf8_length(text), dtype=np.int32))
            self.tokens[name].append(self._count_tokens(text))
        self.hashes.append(hash_strings(docs))
        lo, hi = np.searchsorted(self.sample, [start, start + n])
        if hi > lo:
            picked = docs.take(pa.array(self.sample[lo:hi] - start))
            self.sample_texts.extend(picked.to_pylist())
        if "messages" in batch.schema.names and is_messages(batch.schema.field("messages").type):
            self._chat(batch.column("messages"))
        if {"chosen", "rejected"} <= set(batch.schema.names):
            chosen = pc.utf8_length(field_text(batch.column("chosen")))
            rejected = pc.utf8_length(field_text(batch.column("rejected")))
            self.pref.append((np.asarray(chosen, np.int64), np.asarray(rejected, np.int64)))
        self.seen += n

    def _count_tokens(self, text: pa.Array) -> np.ndarray:
        if self.tokenizer is None:  # words + punctuation; the punctuation regex is cheap, a \w+ one is not
            punctuation = np.asarray(pc.count_substring_regex(text, PUNCTUATION), dtype=np.int64)
            return (count_words(text) + punctuation).astype(np.int32)
        encoded = self.tokenizer(text.to_pylist(), add_special_tokens=False)["input_ids"]
        return np.fromiter((len(ids) for ids in encoded), dtype=np.int32, count=len(text))

    def _chat(self, messages: pa.Array) -> None:
        self.turns.append(np.asarray(pc.list_value_length(messages).fill_null(0), dtype=np.int32))
        flat = pc.list_flatten(messages)
        if len(flat) == 0:
            return
        roles = pc.struct_field(flat, "role")
        for item in pc.value_counts(roles).to_pylist():
            self.roles[str(item["values"])] += item["counts"]
        system = np.asarray(pc.equal(roles, "system").fill_null(False))
        if system.any():
            parents = np.asarray(pc.list_parent_indices(messages))
            self.rows_with_system += len(np.unique(parents[system]))
            contents = pc.struct_field(flat, "content").filter(pa.array(system))
            for h, text in zip(hash_strings(contents).tolist(), contents.to_pylist(), strict=True):
                if h in self.system_prompts or len(self.system_prompts) < _MAX_SYSTEM_TRACKED:
                    self.system_prompts[h] += 1
                    self.system_text.setdefault(h, (text or "")[:_PREVIEW])

    # -- results -------------------------------------------------------------------------------

    def columns(self) -> list[ColumnProfile]:
        return [ColumnProfile(name=f.name, type=str(f.type), nulls=self.nulls[f.name], empty=self.empty[f.name])
                for f in self.schema]

    def text_profiles(self) -> list[TextFieldProfile]:
        return [TextFieldProfile(name=name, chars=length_stats(_cat(self.chars[name])),
                                 tokens=length_stats(_cat(self.tokens[name]))) for name in self.fields]

    def chat(self) -> dict[str, Any] | None:
        if not self.turns:
            return None
        turns = _cat(self.turns)
        top = [{"text": self.system_text[h], "rows": count} for h, count in self.system_prompts.most_common(_TOP_SYSTEM)]
        return {"turns": length_stats(turns).model_dump(), "roles": dict(self.roles.most_common()),
                "rows_with_system": self.rows_with_system,
                "distinct_system_prompts": len(self.system_prompts), "top_system_prompts": top}

    def duplicates(self, threshold: float) -> dict[str, Any]:
        hashes = _cat(self.hashes)
        unique = len(np.unique(hashes)) if len(hashes) else 0
        out: dict[str, Any] = {"exact_duplicate_rows": int(len(hashes) - unique),
                               "exact_rate": round((len(hashes) - unique) / max(len(hashes), 1), 6)}
        if self.sample_texts:
            near = find_near_duplicates(split_words(self.sample_texts), threshold=threshold)
            extra = int(len(near.cluster) - len(np.unique(near.cluster)))
            out |= {"near_duplicate_rows_in_sample": extra, "near_rate": round(extra / len(self.sample_texts), 6),
                    "near_threshold": threshold}
        return out

    def length_outliers(self, examples: int = 10) -> dict[str, Any]:
        if not self.fields:
            return {}
        total = sum(_cat(self.chars[name]).astype(np.int64) for name in self.fields)
        if len(total) < 4:
            return {"rows": 0, "examples": []}
        logs = np.log1p(total)
        q1, q3 = np.percentile(logs, [25, 75])
        low, high = q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)
        rows = np.flatnonzero((logs < low) | (logs > high))
        return {"rule": "log length outside 3 IQR", "low_chars": round(float(np.expm1(low)), 1),
                "high_chars": round(float(np.expm1(high)), 1), "rows": int(len(rows)),
                "examples": [{"row": int(r), "chars": int(total[r])} for r in rows[:examples]]}

    def languages(self) -> dict[str, float]:
        from genloop.quality._langid import detect_languages

        found = Counter(detect_languages(t[:1000] for t in model_sample(self.sample_texts)))
        total = max(sum(found.values()), 1)
        return {code: round(count / total, 4) for code, count in found.most_common()}

    def pii(self, checks: Sequence[str]) -> dict[str, Any]:
        from genloop.guardrails import Guard, Policy

        policy = Policy.from_dict({"name": "profile-pii", "rules": [{"check": c, "action": "flag"} for c in checks]})
        guard = Guard(policy, stop_on_block=False)
        by_kind: Counter[str] = Counter()
        rows = 0
        for text in self.sample_texts:
            findings = guard.scan(text, "input")
            if findings:
                rows += 1
                by_kind.update(f.category for f in findings)
        return {"checks": list(checks), "hits_by_kind": dict(by_kind.most_common()), "rows_with_pii_in_sample": rows,
                "rate": round(rows / max(len(self.sample_texts), 1), 6)}

    def preference(self) -> dict[str, Any] | None:
        if not self.pref:
            return None
        chosen = _cat([c for c, _ in self.pref])
        rejected = _cat([r for _, r in self.pref])
        return {"rows": len(chosen), "mean_chosen_chars": round(float(chosen.mean()), 2),
                "mean_rejected_chars": round(float(rejected.mean()), 2),
                "chosen_longer_rate": round(float((chosen > rejected).mean()), 4),
                "rejected_longer_rate": round(float((chosen < rejected).mean()), 4),
                "mean_length_ratio": round(float(np.mean((chosen + 1) / (rejected + 1))), 4)}


def model_sample(items: Sequence[Any]) -> list[Any]:
    """At most :data:`MODEL_SAMPLE` of ``items``, evenly spaced (the sample is random already)."""
    if len(items) <= MODEL_SAMPLE:
        return list(items)
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, MODEL_SAMPLE)]


def embedding_outliers(texts: list[str], sample: np.ndarray, seed: int, examples: int = 10) -> dict[str, Any]:
    """Sampled rows far from the centroid of their embeddings (more than 3 standard deviations)."""
    from genloop.quality._embed import HashedEmbedder

    texts, sample = model_sample(texts), np.asarray(model_sample(list(sample)))
    if len(texts) < 10:
        return {"rows_in_sample": 0, "examples": []}
    embedder = HashedEmbedder(dims=32, seed=seed, max_chars=300)  # a rough placement is enough to spot outliers
    vectors = embedder.embed(texts)
    distance = np.linalg.norm(vectors - vectors.mean(axis=0), axis=1)
    cut = float(distance.mean() + 3 * distance.std())
    far = np.flatnonzero(distance > cut)
    far = far[np.argsort(-distance[far])]
    return {"embedder": embedder.name, "cutoff": round(cut, 4), "rows_in_sample": int(len(far)),
            "examples": [{"row": int(sample[i]), "distance": round(float(distance[i]), 4),
                          "text": texts[i][:_PREVIEW]} for i in far[:examples]]}


def _texty(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or is_messages(dtype)


def _empty_count(column: pa.Array) -> int:
    dtype = column.type
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return int(pc.sum(pc.equal(column, "")).as_py() or 0)
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return int(pc.sum(pc.equal(pc.list_value_length(column), 0)).as_py() or 0)
    return 0


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)

