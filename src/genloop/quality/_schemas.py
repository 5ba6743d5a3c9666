"""Schemas of the quality engine: profiles, operation requests and results, the prompt map.

The REST API sends these and the SDK returns them, in-process and remotely alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from genloop.datasets import DatasetVersion

__all__ = [
    "CleanRequest",
    "ColumnProfile",
    "DecontaminateRequest",
    "DedupRequest",
    "Histogram",
    "LengthStats",
    "MapPoint",
    "MapRequest",
    "ProfileRequest",
    "PromptMap",
    "QualityResult",
    "ScrubRequest",
    "TextFieldProfile",
    "VersionProfile",
]


class Histogram(BaseModel):
    """Counts of values in bins: ``counts[i]`` values fall in ``[edges[i], edges[i+1])`` (the last bin is closed)."""

    edges: list[float]
    counts: list[int]


class LengthStats(BaseModel):
    """Distribution of a length over rows."""

    mean: float
    min: int
    p50: float
    p90: float
    p99: float
    max: int
    histogram: Histogram


class ColumnProfile(BaseModel):
    """One column: its Arrow type, and how many rows hold null or an empty string or list."""

    name: str
    type: str
    nulls: int
    empty: int


class TextFieldProfile(BaseModel):
    """Lengths of one text field (a string column, or a message list's contents joined)."""

    name: str
    chars: LengthStats
    tokens: LengthStats


class VersionProfile(BaseModel):
    """What a dataset version holds (exploratory data analysis), stored with the run that computed it.

    Counts over every row: rows, columns, lengths, chat statistics, exact duplicates, length outliers,
    preference length bias. Estimates over a seeded sample of ``sample_size`` rows (all rows when the
    version is smaller): near duplicates, PII hits; and over at most 2,000 of those rows: languages and
    embedding outliers.
    """

    dataset: str = Field(description="NAME@N of the profiled version")
    content_hash: str
    kind: str
    run_id: str | None = None
    created_at: dt.datetime | None = None
    rows: int
    columns: list[ColumnProfile]
    tokenizer: str = Field(description="How tokens were counted: 'words' (white-space separated words plus "
                           "punctuation characters) or a tokenizer name")
    text_fields: list[TextFieldProfile]
    sample_size: int
    languages: dict[str, float] | None = Field(default=None, description="Share of sampled rows per ISO 639-1 code")
    language_model: str | None = None
    chat: dict[str, Any] | None = Field(default=None, description="turns, roles, system prompts (chat data)")
    duplicates: dict[str, Any] = Field(default_factory=dict)
    pii: dict[str, Any] = Field(default_factory=dict, description="hits by kind in the sample, rows with any")
    outliers: dict[str, Any] = Field(default_factory=dict)
    preference: dict[str, Any] | None = Field(default=None, description="chosen vs rejected length bias")
    notes: list[str] = Field(default_factory=list, description="What was skipped and why (e.g. an extra missing)")
    seconds: float = 0.0


class QualityResult(BaseModel):
    """What a clean, dedup, scrub or decontaminate run did: its run, the version it wrote, and a report."""

    op: str
    run_id: str
    source: str = Field(description="NAME@N of the input version")
    dataset: DatasetVersion | None = Field(default=None, description="The version written (None when only flagged)")
    created: bool = False
    rows_in: int
    rows_out: int
    report: dict[str, Any] = Field(default_factory=dict)


class ProfileRequest(BaseModel):
    """Body of ``POST .../quality/profile``."""

    ref: str
    tokenizer: str | None = Field(default=None, description="None: words + punctuation; or a local Hugging Face tokenizer")
    sample: int = Field(default=10_000, description="Rows sampled for near duplicates and PII (languages and "
                                                    "embedding outliers: at most 2,000 of them)")
    seed: int = 0
    near_threshold: float = Field(default=0.8, description="Jaccard threshold of the near-duplicate estimate")


class CleanRequest(BaseModel):
    """Body of ``POST .../quality/clean``: steps run in order on each row, in one pass."""

    ref: str
    steps: list[dict[str, Any]] = Field(description='e.g. [{"op": "normalize_unicode"}, {"op": "drop_empty"}]')
    name: str | None = Field(default=None, description="Dataset to write to (default: the input's)")
    message: str = ""


class DedupRequest(BaseModel):
    """Body of ``POST .../quality/dedup``."""

    ref: str
    method: str = Field(default="near", description="exact, near or semantic")
    threshold: float = Field(default=0.8, description="Jaccard (near) or cosine (semantic) similarity, in (0, 1]")
    num_perm: int = 128
    ngram: int = 3
    keep: str = Field(default="first", description="first, longest, or score:COLUMN (highest kept)")
    columns: list[str] | None = None
    name: str | None = None
    message: str = ""


class ScrubRequest(BaseModel):
    """Body of ``POST .../quality/scrub``."""

    ref: str
    mode: str = Field(default="redact", description="redact or mask")
    checks: list[str] | None = Field(default=None, description="Guardrail checks (default: the PII checks)")
    columns: list[str] | None = None
    name: str | None = None
    message: str = ""


class DecontaminateRequest(BaseModel):
    """Body of ``POST .../quality/decontaminate``."""

    ref: str
    eval_refs: list[str]
    n: int = Field(default=13, description="Word n-gram length of the overlap index")
    threshold: float | None = Field(default=0.8, description="Near-duplicate Jaccard threshold; None: n-grams only")
    action: str = Field(default="remove", description="remove (write a new version) or flag (report only)")
    columns: list[str] | None = None
    name: str | None = None
    message: str = ""


class MapPoint(BaseModel):
    """One prompt on the map."""

    x: float
    y: float
    cluster: int = Field(description="-1: noise")
    source: str = Field(description="'dataset' or 'traces', or 'reference' for the reference set")
    row: int | None = None
    trace_id: str | None = None
    deployment: str | None = None
    score: float | None = Field(default=None, description="Mean numeric feedback on the trace")
    irrelevant: bool = False
    text: str


class MapRequest(BaseModel):
    """Body of ``POST .../quality/map``: a dataset version, or traces in a time window, or both."""

    ref: str | None = None
    column: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    deployment: str | None = None
    reference: str | None = Field(default=None, description="Reference version: flag traces far from its clusters")
    embedder: str | None = Field(default=None, description="hashed (default), sentence-transformers:NAME, or "
                                                            "provider:MODEL for an embeddings API")
    projection: str = Field(default="pca", description="pca or umap (needs umap-learn)")
    max_points: int = Field(default=20_000, description="Points returned (all are kept in the run's artifact)")
    seed: int = 0


class PromptMap(BaseModel):
    """The prompt map: 2-D points with clusters, and which production prompts look irrelevant."""

    run_id: str
    embedder: str
    projection: str
    total_points: int
    clusters: dict[str, int] = Field(default_factory=dict, description="points per cluster id")
    irrelevant: int = 0
    points: list[MapPoint]
    sampled: bool = False
