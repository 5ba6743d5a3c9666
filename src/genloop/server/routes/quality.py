"""REST routes for data quality: profile, clean, dedup, scrub, decontaminate dataset versions; the prompt map.

Each POST runs the operation (a ``data`` run) and answers 201 with its result; the work happens in the
request, like a dataset upload, so a client waits for it (the SDK uses a long read timeout).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from genloop.quality import (
    CleanRequest,
    DecontaminateRequest,
    DedupRequest,
    MapRequest,
    ProfileRequest,
    PromptMap,
    QualityResult,
    QualityService,
    ScrubRequest,
    VersionProfile,
)
from genloop.server._deps import ActorDep, StoreDep

router = APIRouter(tags=["quality"])


@router.post("/projects/{project}/quality/profile", response_model=VersionProfile, status_code=201)
def profile(project: str, body: ProfileRequest, store: StoreDep, actor: ActorDep) -> VersionProfile:
    """Profile a dataset version (a run); the profile is stored with the run."""
    return QualityService(store, project, actor).profile(body.ref, tokenizer=body.tokenizer, sample=body.sample,
                                                         seed=body.seed, near_threshold=body.near_threshold)


@router.get("/projects/{project}/quality/profiles/{ref}", response_model=VersionProfile)
def get_profile(project: str, ref: str, store: StoreDep) -> VersionProfile:
    """The latest stored profile of a dataset version (404 when it was never profiled)."""
    return QualityService(store, project).get_profile(ref)


@router.post("/projects/{project}/quality/clean", response_model=QualityResult, status_code=201)
def clean(project: str, body: CleanRequest, store: StoreDep, actor: ActorDep) -> QualityResult:
    """Run clean steps on every row of a version, into a new version."""
    return QualityService(store, project, actor).clean(body.ref, body.steps, name=body.name, message=body.message)


@router.post("/projects/{project}/quality/dedup", response_model=QualityResult, status_code=201)
def dedup(project: str, body: DedupRequest, store: StoreDep, actor: ActorDep) -> QualityResult:
    """Remove exact, near or semantic duplicates of a version, into a new version."""
    return QualityService(store, project, actor).dedup(
        body.ref, method=body.method, threshold=body.threshold, num_perm=body.num_perm, ngram=body.ngram,
        keep=body.keep, columns=body.columns, name=body.name, message=body.message)


@router.post("/projects/{project}/quality/scrub", response_model=QualityResult, status_code=201)
def scrub(project: str, body: ScrubRequest, store: StoreDep, actor: ActorDep) -> QualityResult:
    """Redact or mask PII in every text field of a version, into a new version."""
    return QualityService(store, project, actor).scrub(body.ref, mode=body.mode, checks=body.checks,
                                                       columns=body.columns, name=body.name, message=body.message)


@router.post("/projects/{project}/quality/decontaminate", response_model=QualityResult, status_code=201)
def decontaminate(project: str, body: DecontaminateRequest, store: StoreDep, actor: ActorDep) -> QualityResult:
    """Remove (or flag) training rows that overlap evaluation sets."""
    return QualityService(store, project, actor).decontaminate(
        body.ref, body.eval_refs, n=body.n, threshold=body.threshold, action=body.action, columns=body.columns,
        name=body.name, message=body.message)


@router.get("/projects/{project}/quality/overlap", response_model=dict[str, Any])
def overlap(project: str, ref: str, store: StoreDep, eval_refs: Annotated[list[str], Query(alias="eval")],
            n: int = 13) -> dict[str, Any]:
    """How many rows of ``ref`` share a word n-gram with the eval sets (nothing is written)."""
    return QualityService(store, project).overlap(ref, eval_refs, n=n)


@router.post("/projects/{project}/quality/map", response_model=PromptMap, status_code=201)
def prompt_map(project: str, body: MapRequest, store: StoreDep, actor: ActorDep) -> PromptMap:
    """Embed, project and cluster the prompts of a version and/or of traces in a window."""
    return QualityService(store, project, actor).map(
        body.ref, column=body.column, since=body.since, until=body.until, deployment=body.deployment,
        reference=body.reference, embedder=body.embedder, projection=body.projection, max_points=body.max_points,
        seed=body.seed)
