"""REST route for lineage: the graph behind any dataset, prompt or model version."""

from __future__ import annotations

from fastapi import APIRouter, Query

from genloop.runs import LineageNode, RunService
from genloop.server._deps import StoreDep

router = APIRouter(tags=["lineage"])


@router.get("/projects/{project}/lineage/{ref}", response_model=LineageNode)
def lineage(
    project: str,
    ref: str,
    store: StoreDep,
    kind: str | None = Query(default=None, description="dataset, prompt or model, when REF is untyped and ambiguous"),
    depth: int = Query(default=10, description="How many levels of ancestry to follow (0-100)"),
) -> LineageNode:
    """Which run made this version, from which versions, recursively (``model:tiny@4`` or ``tiny@champion``)."""
    return RunService(store, project).lineage(ref, kind=kind, depth=depth)
