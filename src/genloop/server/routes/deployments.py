"""REST routes for deployments: create, update (a new version), show, list, versions.

Spec fields are passed to the service unvalidated, so its checks and messages apply as in-process.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from genloop.deployments import DeploymentInfo, DeploymentService
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page

router = APIRouter(tags=["deployments"], default_response_class=JSONResponse)


class DeploymentUpdate(BaseModel):
    """Fields of a deployment spec to change; the rest stay as in the latest version."""

    model_config = ConfigDict(extra="allow")

    description: str | None = None
    message: str = Field(default="", description="Why this version (shown in its history)")
    variants: Any = Field(default=None, description="[{name, prompt, model, weight, params, base_url}]")
    shadows: Any = None
    fallbacks: Any = None
    retries: Any = Field(default=None, description="{attempts, backoff_ms, max_backoff_ms}")
    timeout_s: Any = None
    circuit_breaker: Any = Field(default=None, description="{enabled, failures, cooldown_s}")
    cache: Any = Field(default=None, description="{enabled, ttl_s, max_entries}")
    guardrails: Any = Field(default=None, description="Guardrail policy (genloop.guardrails format)")


class DeploymentCreate(DeploymentUpdate):
    """A new deployment: its name and spec."""

    name: str


def _spec(body: DeploymentUpdate, *, drop_none: bool) -> dict[str, Any]:
    data = body.model_dump(exclude={"name", "description", "message"})
    return {k: v for k, v in data.items() if v is not None} if drop_none else data


@router.post("/projects/{project}/deployments", response_model=DeploymentInfo, status_code=201)
def create_deployment(project: str, body: DeploymentCreate, store: StoreDep, actor: ActorDep) -> DeploymentInfo:
    """Create a deployment (version 1); identical content returns the existing version."""
    return DeploymentService(store, project, actor).create(
        body.name, description=body.description, message=body.message, **_spec(body, drop_none=True))


@router.get("/projects/{project}/deployments", response_model=Page[DeploymentInfo])
def list_deployments(project: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[DeploymentInfo]:
    """The latest version of every deployment, by name."""
    return DeploymentService(store, project).list(offset=offset, limit=limit)


@router.get("/projects/{project}/deployments/{ref}", response_model=DeploymentInfo)
def get_deployment(project: str, ref: str, store: StoreDep) -> DeploymentInfo:
    """One version: ``NAME`` (latest) or ``NAME@3``."""
    return DeploymentService(store, project).get(ref)


@router.patch("/projects/{project}/deployments/{name}", response_model=DeploymentInfo, status_code=201)
def update_deployment(project: str, name: str, body: DeploymentUpdate, store: StoreDep,
                      actor: ActorDep) -> DeploymentInfo:
    """A new version with the given fields changed."""
    return DeploymentService(store, project, actor).update(
        name, description=body.description, message=body.message, **_spec(body, drop_none=True))


@router.get("/projects/{project}/deployments/{name}/versions", response_model=Page[DeploymentInfo])
def deployment_versions(project: str, name: str, store: StoreDep, offset: OffsetQ = 0,
                        limit: LimitQ = 50) -> Page[DeploymentInfo]:
    """Every version of one deployment, newest first."""
    return DeploymentService(store, project).versions(name, offset=offset, limit=limit)
