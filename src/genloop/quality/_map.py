"""The prompt map: prompts of a dataset version and/or production traces, embedded, projected to 2-D,
clustered, with production prompts far from every reference cluster flagged as irrelevant.

Projection is PCA (numpy SVD of the centred vectors) or UMAP when installed and asked for. Clusters
come from scikit-learn's HDBSCAN on the vectors' top 10 principal components, fitted on a seeded sample
of at most 3,000 points (HDBSCAN's cost grows quickly with the point count); every other point takes the
cluster of its nearest sampled point. With a reference version, the reference alone is clustered; a
production prompt is *irrelevant* when its nearest reference prompt (among at most 5,000 sampled) is
farther than the 99th percentile of those reference prompts' own nearest-neighbour distances, and it is
then in no cluster (-1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import func, select

from genloop.errors import Hint, InvalidInput, MissingDependency
from genloop.quality._embed import get_embedder, require_sklearn
from genloop.quality._job import Job
from genloop.quality._schemas import MapPoint, PromptMap
from genloop.quality._text import prompt_text

__all__ = ["PROJECTIONS", "prompt_map"]

PROJECTIONS = ("pca", "umap")
CLUSTER_SAMPLE = 3_000
CLUSTER_DIMS = 10
REFERENCE_SAMPLE = 5_000  # reference prompts the irrelevance test measures distances to
MAX_TRACES = 200_000
_PREVIEW = 300


@dataclass
class Items:
    texts: list[str]
    source: list[str]
    row: list[int | None]
    trace_id: list[str | None]
    deployment: list[str | None]
    score: list[float | None]

    @classmethod
    def empty(cls) -> Items:
        return cls([], [], [], [], [], [])

    def add(self, text: str, source: str, *, row: int | None = None, trace_id: str | None = None,
            deployment: str | None = None, score: float | None = None) -> None:
        self.texts.append(text)
        self.source.append(source)
        self.row.append(row)
        self.trace_id.append(trace_id)
        self.deployment.append(deployment)
        self.score.append(score)


def _dataset_items(job: Job, ref: str, column: str | None, source: str, items: Items) -> str:
    version = job.version(ref)
    if column is not None:
        version.require_columns([column])
    start = 0
    for batch in job.batches(version):
        for i, text in enumerate(prompt_text(batch, column).to_pylist()):
            items.add(text or "", source, row=start + i)
        start += batch.num_rows
    return version.ref


def _trace_items(job: Job, since: dt.datetime | None, until: dt.datetime | None, deployment: str | None,
                 items: Items) -> int:
    from genloop.feedback._tables import FeedbackRow
    from genloop.store._registry import find_project
    from genloop.tracing._tables import TraceRow

    with job.store.db.read() as session:
        project = find_project(session, job.project)
        if project is None:
            return 0
        query = select(TraceRow.id, TraceRow.input, TraceRow.deployment).where(TraceRow.project_id == project.id)
        if since is not None:
            query = query.where(TraceRow.started_at >= _aware(since))
        if until is not None:
            query = query.where(TraceRow.started_at < _aware(until))
        if deployment:
            query = query.where(TraceRow.deployment == deployment)
        rows = session.execute(query.order_by(TraceRow.started_at, TraceRow.id).limit(MAX_TRACES)).all()
        scores = dict(session.execute(
            select(FeedbackRow.trace_id, func.avg(FeedbackRow.value_number))
            .where(FeedbackRow.project_id == project.id, FeedbackRow.value_number.is_not(None))
            .group_by(FeedbackRow.trace_id)).all())
    count = 0
    for trace_id, data, dep in rows:
        text = _last_user_text(data)
        if text:
            score = scores.get(trace_id)
            items.add(text, "traces", trace_id=trace_id, deployment=dep,
                      score=float(score) if score is not None else None)
            count += 1
    return count


def _last_user_text(data: Any) -> str:
    if isinstance(data, str):
        return data
    messages = data.get("messages") if isinstance(data, dict) else data
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def project_2d(vectors: np.ndarray, projection: str, seed: int) -> np.ndarray:
    """2-D coordinates of ``vectors`` by PCA, or UMAP when asked (and installed)."""
    if projection == "umap":
        try:
            import umap
        except ImportError as exc:
            raise MissingDependency("UMAP projection needs the optional package 'umap-learn'",
                                    hint="pip install umap-learn, or use projection 'pca'") from exc
        return np.asarray(umap.UMAP(n_components=2, random_state=seed).fit_transform(vectors), dtype=np.float32)
    centred = vectors - vectors.mean(axis=0)
    if len(centred) < 2:
        return np.zeros((len(centred), 2), np.float32)
    _, _, vt = np.linalg.svd(centred[:20_000] if len(centred) > 20_000 else centred, full_matrices=False)
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
    return coords.astype(np.float32)


def nearest(queries: np.ndarray, points: np.ndarray, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Index of and Euclidean distance to each query's nearest point (blockwise, memory bounded)."""
    index = np.zeros(len(queries), np.int64)
    distance = np.zeros(len(queries), np.float32)
    norms = (points ** 2).sum(axis=1)
    for lo in range(0, len(queries), 2048):
        block = queries[lo:lo + 2048]
        d2 = (block ** 2).sum(axis=1)[:, None] + norms[None, :] - 2 * block @ points.T
        if exclude_self:
            d2[np.arange(len(block)), np.arange(lo, lo + len(block))] = np.inf
        best = np.argmin(d2, axis=1)
        index[lo:lo + len(block)] = best
        distance[lo:lo + len(block)] = np.sqrt(np.maximum(d2[np.arange(len(block)), best], 0))
    return index, distance


def reduce(vectors: np.ndarray, dims: int = CLUSTER_DIMS) -> np.ndarray:
    """``vectors`` on their top ``dims`` principal components (density clustering works better, and faster)."""
    if vectors.shape[1] <= dims or len(vectors) <= dims:
        return vectors
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred[:20_000], full_matrices=False)
    return np.ascontiguousarray(centred @ vt[:dims].T)


def cluster(vectors: np.ndarray, seed: int) -> np.ndarray:
    """HDBSCAN labels for every vector (fitted on a sample, others take their nearest sample's label)."""
    from sklearn.cluster import HDBSCAN

    if len(vectors) < 5:
        return np.full(len(vectors), -1, np.int64)
    vectors = reduce(vectors)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(vectors), CLUSTER_SAMPLE, replace=False)) if len(vectors) > CLUSTER_SAMPLE \
        else np.arange(len(vectors))
    size = max(5, len(sample) // 100)
    labels = HDBSCAN(min_cluster_size=size, copy=True).fit_predict(vectors[sample]).astype(np.int64)
    if len(sample) == len(vectors):
        return labels
    out = np.empty(len(vectors), np.int64)
    out[sample] = labels
    rest = np.setdiff1d(np.arange(len(vectors)), sample)
    near, _ = nearest(vectors[rest], vectors[sample])
    out[rest] = labels[near]
    return out


def prompt_map(job: Job, *, ref: str | None = None, column: str | None = None, since: dt.datetime | None = None,
               until: dt.datetime | None = None, deployment: str | None = None, reference: str | None = None,
               embedder: str | None = None, projection: str = "pca", max_points: int = 20_000,
               seed: int = 0) -> PromptMap:
    """Build the prompt map; see :meth:`QualityService.map`."""
    if projection not in PROJECTIONS:
        raise InvalidInput(f"unknown projection {projection!r}", hint="use pca or umap")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or not 1 <= max_points <= 200_000:
        raise InvalidInput(f"max_points must be from 1 to 200000, got {max_points!r}")
    use_traces = since is not None or until is not None or deployment is not None
    if ref is None and not use_traces:
        raise InvalidInput("a prompt map needs a dataset (ref) or traces (since/until/deployment)",
                           hint=Hint(cli="e.g. genloop quality map support@3, or --since 2026-12-01 for production prompts",
                                     sdk="e.g. client.quality.map('support@3'), or since= for production prompts",
                                     rest='send "ref" (e.g. "support@3"), or "since" for production prompts'))
    require_sklearn()
    model = get_embedder(embedder, settings=job.store.settings, seed=seed)
    items = Items.empty()
    inputs = []
    if reference is not None:
        inputs.append(_dataset_items(job, reference, column, "reference", items))
    if ref is not None:
        inputs.append(_dataset_items(job, ref, column if reference is None else None, "dataset", items))
    params = {"ref": ref, "reference": reference, "since": since.isoformat() if since else None,
              "until": until.isoformat() if until else None, "deployment": deployment, "embedder": model.name,
              "projection": projection, "seed": seed}
    with job.runs.run("data", name="quality map", params={"op": "map", **params},
                      inputs=[f"dataset:{r}" for r in inputs]) as run:
        traces = _trace_items(job, since, until, deployment, items) if use_traces else 0
        if not items.texts:
            raise InvalidInput("no prompts to map", hint="check the dataset, or widen the trace window")
        is_ref = np.array([s == "reference" for s in items.source])
        model.fit([t for t, r in zip(items.texts, is_ref, strict=True) if r] if is_ref.any() else items.texts)
        vectors = model.embed(items.texts)
        coords = project_2d(vectors, projection, seed)
        irrelevant = np.zeros(len(vectors), bool)
        if is_ref.any() and (~is_ref).any():
            labels = np.full(len(vectors), -1, np.int64)
            labels[is_ref] = cluster(vectors[is_ref], seed)
            refs = np.flatnonzero(is_ref)
            if len(refs) > REFERENCE_SAMPLE:
                refs = np.sort(np.random.default_rng(seed).choice(refs, REFERENCE_SAMPLE, replace=False))
            _, own = nearest(vectors[refs], vectors[refs], exclude_self=True) if len(refs) > 1 else (None, np.zeros(1))
            cutoff = float(np.percentile(own, 99))
            other = np.flatnonzero(~is_ref)
            near, distance = nearest(vectors[other], vectors[refs])
            far = distance > cutoff
            labels[other] = np.where(far, -1, labels[refs][near])
            irrelevant[other[far]] = True
        else:
            labels = cluster(vectors, seed)
        points = _points(items, coords, labels, irrelevant)
        clusters = {str(k): int(v) for k, v in zip(*np.unique(labels, return_counts=True), strict=True)}
        job.artifact(run, "map.parquet", [pa.Table.from_pylist([p.model_dump() for p in points])])
        shown = _subsample(points, max_points, seed)
        run.summary = {"points": len(points), "traces": traces, "clusters": clusters,
                       "irrelevant": int(irrelevant.sum()), "embedder": model.name, "projection": projection}
    return PromptMap(run_id=run.id, embedder=model.name, projection=projection, total_points=len(points),
                     clusters=clusters, irrelevant=int(irrelevant.sum()), points=shown,
                     sampled=len(shown) < len(points))


def _points(items: Items, coords: np.ndarray, labels: np.ndarray, irrelevant: np.ndarray) -> list[MapPoint]:
    return [MapPoint(x=round(float(coords[i, 0]), 5), y=round(float(coords[i, 1]), 5), cluster=int(labels[i]),
                     source=items.source[i], row=items.row[i], trace_id=items.trace_id[i],
                     deployment=items.deployment[i], score=items.score[i], irrelevant=bool(irrelevant[i]),
                     text=items.texts[i][:_PREVIEW]) for i in range(len(items.texts))]


def _subsample(points: list[MapPoint], limit: int, seed: int) -> list[MapPoint]:
    """At most ``limit`` points: every irrelevant one first, then a seeded sample of the rest."""
    if len(points) <= limit:
        return points
    flagged = [p for p in points if p.irrelevant][:limit]
    rest = [i for i, p in enumerate(points) if not p.irrelevant]
    pick = np.random.default_rng(seed).choice(len(rest), limit - len(flagged), replace=False)
    return flagged + [points[rest[i]] for i in np.sort(pick)]
