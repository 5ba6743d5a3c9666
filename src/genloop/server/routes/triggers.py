"""REST routes of pipeline triggers, under the pipeline they start (``-`` for any pipeline of the project)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from genloop.errors import InvalidInput, NotFound
from genloop.pipelines import Firing, TriggerInfo, TriggerService, TriggerSpec
from genloop.server._deps import ActorDep, StoreDep

router = APIRouter(tags=["pipelines"], default_response_class=JSONResponse)
BASE = "/projects/{project}/pipelines/{pipeline}/triggers"


class TriggerCreate(BaseModel):
    """A trigger to create (``replace``: change the one of that name)."""

    spec: TriggerSpec
    replace: bool = False


class TriggerFire(BaseModel):
    """Fire a trigger by hand or from CI."""

    reason: str = Field(default="manual", description="Why (kept on the run)")
    params: dict[str, Any] | None = None
    wait: bool = Field(default=True, description="Answer when the run ends (else at once, status running)")


class TriggerEnabled(BaseModel):
    enabled: bool


def _same(pipeline: str, info: TriggerInfo) -> TriggerInfo:
    if pipeline != "-" and info.spec.pipeline.partition("@")[0] != pipeline.partition("@")[0]:
        raise NotFound(f"trigger {info.name!r} starts pipeline {info.spec.pipeline!r}, not {pipeline!r}",
                       hint=f"use /pipelines/{info.spec.pipeline.partition('@')[0]}/triggers/{info.name}")
    return info


@router.post(BASE, response_model=TriggerInfo, status_code=201)
def create_trigger(project: str, pipeline: str, body: TriggerCreate, store: StoreDep, actor: ActorDep) -> TriggerInfo:
    """Create a trigger of this pipeline (only evidence arriving afterwards counts)."""
    if pipeline != "-" and body.spec.pipeline.partition("@")[0] != pipeline:
        raise InvalidInput(f"the trigger starts {body.spec.pipeline!r}, not pipeline {pipeline!r}",
                           hint="post it under the pipeline it starts")
    return TriggerService(store, project, actor).create(body.spec, replace=body.replace)


@router.get(BASE, response_model=list[TriggerInfo])
def list_triggers(project: str, pipeline: str, store: StoreDep) -> list[TriggerInfo]:
    """The triggers of this pipeline (``-``: of every pipeline), by name."""
    return TriggerService(store, project).list(pipeline=None if pipeline == "-" else pipeline)


@router.get(BASE + "/{name}", response_model=TriggerInfo)
def get_trigger(project: str, pipeline: str, name: str, store: StoreDep) -> TriggerInfo:
    """One trigger with its cursor (the evidence it last fired on), last run and error."""
    return _same(pipeline, TriggerService(store, project).get(name))


@router.delete(BASE + "/{name}", status_code=204)
def delete_trigger(project: str, pipeline: str, name: str, store: StoreDep, actor: ActorDep) -> Response:
    """Delete a trigger (the runs it started stay)."""
    service = TriggerService(store, project, actor)
    _same(pipeline, service.get(name))
    service.delete(name)
    return Response(status_code=204)


@router.post(BASE + "/{name}/enabled", response_model=TriggerInfo)
def set_trigger_enabled(project: str, pipeline: str, name: str, body: TriggerEnabled, store: StoreDep,
                        actor: ActorDep) -> TriggerInfo:
    """Pause or resume a trigger."""
    service = TriggerService(store, project, actor)
    _same(pipeline, service.get(name))
    return service.set_enabled(name, body.enabled)


@router.post(BASE + "/{name}/fire", response_model=Firing, status_code=201)
def fire_trigger(project: str, pipeline: str, name: str, body: TriggerFire, store: StoreDep,
                 actor: ActorDep) -> Firing:
    """Fire a trigger now (by hand or from CI); the run records the reason and who fired it."""
    service = TriggerService(store, project, actor)
    _same(pipeline, service.get(name))
    return service.fire(name, reason=body.reason, params=body.params, wait=body.wait)
