"""Deployments: each one's variants, weights, shadows, fallbacks and guardrails, and its live traffic per
variant (requests, error rate, latency p50/p95/p99, tokens, cost, feedback) as charts over a chosen window."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from genloop.deployments import DeploymentService
from genloop.errors import InvalidInput
from genloop.studio._context import StudioDep
from genloop.studio._params import ListQ, pager
from genloop.tracing import TraceService
from genloop.tracing._traffic import deployment_traffic

router = APIRouter()

WINDOWS = {"1h": (1.0, 60), "6h": (6.0, 72), "24h": (24.0, 96), "7d": (168.0, 84), "30d": (720.0, 90)}


@router.get("/projects/{project}/deployments")
def deployments(project: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/deployments")
    found = DeploymentService(studio.store, project).list(offset=page.offset, limit=page.limit)
    traffic = deployment_traffic(studio.store, project, hours=1.0)
    from genloop.deployments._retired import retired_in_use

    retired = {name: notes for (_, name), notes in retired_in_use(studio.store, found.items).items()}
    return studio.render("deployments/list.html", project=project, deployments=found.items, traffic=traffic,
                         retired=retired, pager=pager(studio.request, found))


@router.get("/projects/{project}/deployments/{name}")
def deployment(project: str, name: str, studio: StudioDep, window: str = "24h") -> Response:
    studio.check("GET", f"/projects/{project}/deployments/{name}")
    if window not in WINDOWS:
        raise InvalidInput(f"unknown window {window!r}", hint=f"use one of {', '.join(WINDOWS)}")
    info = DeploymentService(studio.store, project).get(name)
    hours, buckets = WINDOWS[window]
    series = TraceService(studio.store, project).traffic(info.name, hours=hours, buckets=buckets)
    return studio.render("deployments/deployment.html", project=project, d=info, series=series, window=window,
                         windows=list(WINDOWS))
