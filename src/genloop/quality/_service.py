"""QualityService: profile, clean, deduplicate, scrub and decontaminate dataset versions; map prompts.

Each operation is a ``data`` run (``quality <op>``) that reads dataset versions and, where it changes
rows, writes a new version linked to the run (lineage); the input is never changed, and a run that
fails writes no version.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from sqlalchemy import select

from genloop.errors import InvalidInput, MissingDependency, NotFound
from genloop.quality._job import Job
from genloop.quality._schemas import PromptMap, QualityResult, VersionProfile
from genloop.store import Store

__all__ = ["QualityService"]

PROFILE_RUN = "quality profile"
MAX_SAMPLE = 200_000


class QualityService:
    """Every quality operation for one project; returns schemas and raises ``genloop.errors``."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    @property
    def _job(self) -> Job:
        return Job(self.store, self.project, self.actor)

    # -- profile -------------------------------------------------------------------------------

    def profile(self, ref: str, *, tokenizer: str | None = None, sample: int = 10_000, seed: int = 0,
                near_threshold: float = 0.8) -> VersionProfile:
        """Profile the version ``ref`` (a run; the profile is its summary and is read back by :meth:`get_profile`).

        Counts cover every row; languages, near duplicates, PII and embedding outliers are estimated on a
        seeded sample of ``sample`` rows. ``tokenizer``: None counts white-space separated words plus punctuation
        characters; a registry model (``tiny@1``), a local Hugging Face tokenizer folder or a cached name counts
        that model's tokens (needs the train extra).
        """
        from genloop.quality._profile import Profiler, embedding_outliers, sample_rows

        if isinstance(sample, bool) or not isinstance(sample, int) or not 0 <= sample <= MAX_SAMPLE:
            raise InvalidInput(f"sample must be from 0 to {MAX_SAMPLE} rows, got {sample!r}")
        from genloop.quality._minhash import check_threshold

        check_threshold(near_threshold)
        job = self._job
        version = job.version(ref)
        loaded = _load_tokenizer(self._tokenizer_path(tokenizer)) if tokenizer else None
        started = time.perf_counter()
        params = {"tokenizer": tokenizer or "words", "sample": sample, "seed": seed}
        with job.run("profile", version, params) as run:
            chosen = sample_rows(version.num_rows, sample, seed)
            profiler = Profiler(job.schema(version), version.num_rows, sample=chosen, tokenizer=loaded)
            for batch in job.batches(version):
                profiler.add(batch)
            notes: list[str] = []
            profile = VersionProfile(
                dataset=version.ref, content_hash=version.content_hash, kind=version.kind, run_id=run.id,
                rows=profiler.seen, columns=profiler.columns(), tokenizer=tokenizer or "words",
                text_fields=profiler.text_profiles(), sample_size=len(profiler.sample_texts), chat=profiler.chat(),
                duplicates=profiler.duplicates(near_threshold), preference=profiler.preference(), notes=notes,
            )
            profile.outliers["length"] = profiler.length_outliers()
            profile.pii = profiler.pii(_pii_checks())
            _optional(profile, profiler, chosen, seed, embedding_outliers)
            profile.seconds = round(time.perf_counter() - started, 3)
            run.summary = {"profile": profile.model_dump(mode="json", exclude={"run_id", "created_at"})}
        return profile.model_copy(update={"created_at": dt.datetime.now(dt.UTC)})

    def _tokenizer_path(self, name: str) -> str:
        """A registry model (``tiny@1``) stands for its local folder; anything else is passed on as is."""
        from pathlib import Path

        from genloop.models import ModelService

        if Path(name).expanduser().exists() or "@" not in name:
            return name
        try:
            version = ModelService(self.store, self.project).get(name)
        except NotFound:
            return name
        folder = Path(version.uri).expanduser() if version.uri else None
        if folder is None or not folder.is_dir():
            raise InvalidInput(f"model {name} has no local folder with a tokenizer ({version.uri})",
                               hint="pass a local tokenizer folder, or a checkpoint model of the registry")
        return str(folder)

    def get_profile(self, ref: str) -> VersionProfile:
        """The latest stored profile of the version ``ref``; :class:`NotFound` when it was never profiled."""
        from genloop.runs._tables import RunRefRow, RunRow
        from genloop.store._registry import find_project

        version = self._job.version(ref)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            row = None
            if project is not None:
                row = session.scalar(
                    select(RunRow).join(RunRefRow, RunRefRow.run_id == RunRow.id)
                    .where(RunRow.project_id == project.id, RunRow.name == PROFILE_RUN, RunRow.status == "succeeded",
                           RunRefRow.direction == "input", RunRefRow.entity_type == "dataset",
                           RunRefRow.entity_name == version.name, RunRefRow.version == version.version)
                    .order_by(RunRow.started_at.desc()).limit(1))
            if row is None:
                raise NotFound(f"dataset {version.ref} has no profile yet",
                               hint=f"run genloop datasets profile {version.ref}")
            data = dict(row.summary.get("profile") or {})
            return VersionProfile.model_validate(data | {"run_id": row.id, "created_at": row.ended_at})

    # -- operations that write versions --------------------------------------------------------

    def clean(self, ref: str, steps: list[dict[str, Any]], *, name: str | None = None,
              message: str = "") -> QualityResult:
        """Run the clean ``steps`` (see :mod:`genloop.quality._clean`) on every row of ``ref``, into a new version."""
        from genloop.quality._clean import clean

        return clean(self._job, ref, steps, name=name, message=message)

    def dedup(self, ref: str, *, method: str = "near", threshold: float = 0.8, num_perm: int = 128, ngram: int = 3,
              keep: str = "first", columns: list[str] | None = None, name: str | None = None, message: str = "",
              embedder: str | None = None) -> QualityResult:
        """Remove duplicates: ``exact`` (canonical text hash), ``near`` (MinHash + LSH, Jaccard ``threshold``
        over word ``ngram``s) or ``semantic`` (embedding cosine ``threshold``); keep ``first``, ``longest`` or
        ``score:COLUMN`` per cluster. Removed rows and their clusters are the run's ``removed.parquet``."""
        from genloop.quality._dedup import dedup

        return dedup(self._job, ref, method=method, threshold=threshold, num_perm=num_perm, ngram=ngram, keep=keep,
                     columns=columns, name=name, message=message, embedder=embedder)

    def scrub(self, ref: str, *, mode: str = "redact", checks: list[str] | None = None,
              columns: list[str] | None = None, name: str | None = None, message: str = "") -> QualityResult:
        """Redact (or mask) what the guardrail ``checks`` (default: PII) find in every text field, into a new version."""
        from genloop.quality._scrub import scrub

        return scrub(self._job, ref, mode=mode, checks=checks, columns=columns, name=name, message=message)

    def decontaminate(self, ref: str, eval_refs: list[str], *, n: int = 13, threshold: float | None = 0.8,
                      action: str = "remove", columns: list[str] | None = None, name: str | None = None,
                      message: str = "") -> QualityResult:
        """Remove (``action="remove"``) or only report (``"flag"``) rows of ``ref`` that share a word ``n``-gram
        with, or are near duplicates (Jaccard ``threshold``) of, a row of the eval sets ``eval_refs``."""
        from genloop.quality._decontam import decontaminate

        return decontaminate(self._job, ref, eval_refs, n=n, threshold=threshold, action=action, columns=columns,
                             name=name, message=message)

    def overlap(self, ref: str, eval_refs: list[str], *, n: int = 13) -> dict[str, Any]:
        """How many rows of ``ref`` share a word ``n``-gram with the eval sets (no run, nothing written)."""
        from genloop.quality._decontam import _check, build_index, overlap_rows

        _check(n, None, "flag", eval_refs)
        job = self._job
        version = job.version(ref)
        index, versions, _ = build_index(job, eval_refs, n, None)
        rows = contaminated = 0
        first: list[int] = []
        for start, _texts, hits, _best, _partner in overlap_rows(job, version, index):
            bad = np.flatnonzero(hits > 0)
            contaminated += len(bad)
            rows += len(hits)
            first.extend(int(r + start) for r in bad[:max(0, 10 - len(first))])
        return {"dataset": version.ref, "eval": [v.ref for v in versions], "n": n, "rows": rows,
                "overlapping_rows": contaminated, "rate": round(contaminated / max(rows, 1), 6), "rows_sample": first}

    # -- prompt map ----------------------------------------------------------------------------

    def map(self, ref: str | None = None, *, column: str | None = None, since: dt.datetime | None = None,
            until: dt.datetime | None = None, deployment: str | None = None, reference: str | None = None,
            embedder: str | None = None, projection: str = "pca", max_points: int = 20_000,
            seed: int = 0) -> PromptMap:
        """Embed, project (PCA, or UMAP) and cluster (HDBSCAN) the prompts of ``ref`` and/or of traces in a window
        (``since``/``until``/``deployment``); with a ``reference`` version, production prompts far from all of
        its clusters are flagged irrelevant. All points are the run's ``map.parquet``; ``max_points`` come back."""
        from genloop.quality._map import prompt_map

        return prompt_map(self._job, ref=ref, column=column, since=since, until=until, deployment=deployment,
                          reference=reference, embedder=embedder, projection=projection, max_points=max_points,
                          seed=seed)


def _pii_checks() -> list[str]:
    from genloop.quality._scrub import PII_CHECKS

    return list(PII_CHECKS)


def _optional(profile: VersionProfile, profiler: Any, chosen: np.ndarray, seed: int, embedding_outliers: Any) -> None:
    """The parts that need the quality extra: languages and embedding outliers (a note when missing)."""
    from genloop.quality._embed import require_sklearn
    from genloop.quality._langid import LANGUAGE_MODEL, langid_available

    if langid_available():
        profile.languages = profiler.languages()
        profile.language_model = LANGUAGE_MODEL
        top = next(iter(profile.languages), None)
        minority = {code: share for code, share in profile.languages.items() if code != top and share < 0.05}
        profile.outliers["language"] = {"main": top, "minor_languages": minority}
    else:
        profile.notes.append("languages skipped: pip install 'genloop[quality]' (py3langid)")
    try:
        require_sklearn()
    except MissingDependency:
        profile.notes.append("embedding outliers skipped: pip install 'genloop[quality]' (scikit-learn)")
        return
    profile.outliers["embedding"] = embedding_outliers(profiler.sample_texts, chosen, seed)


def _load_tokenizer(name: str) -> Any:
    """A Hugging Face tokenizer from a local folder or the local cache (never downloaded)."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise MissingDependency.for_extra("transformers", "train") from exc
    try:
        return AutoTokenizer.from_pretrained(name, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot load tokenizer {name!r} locally: {exc}",
                           hint="pass a local model folder (or a model already in the Hugging Face cache)") from exc
