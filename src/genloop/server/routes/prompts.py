"""REST routes for prompts: versions, references, labels, rendering and diffs.

A ``{ref}`` path segment is ``NAME``, ``NAME@3`` or ``NAME@production``. Content fields of request
bodies are passed to the service unvalidated, so the service's own checks (and messages) apply,
the same as in-process.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from genloop.prompts import (
    PromptDiff,
    PromptInfo,
    PromptService,
    PromptVersion,
    RenderedPrompt,
    build_spec,
    spec_from_yaml,
)
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page, Store

router = APIRouter(tags=["prompts"])

_CREATED: dict[int | str, dict[str, Any]] = {201: {"description": "A new version was created"},
            200: {"description": "The latest version already had this content; it is returned"}}


class PromptCreate(BaseModel):
    """A new version: exactly one of ``messages`` (chat) and ``template`` (text), as in prompt.yaml."""

    messages: Any = Field(default=None, description="[{role, content}] with Jinja2 content")
    template: Any = Field(default=None, description="Jinja2 text template")
    variables: Any = Field(default=None, description="Declared variables; inferred when absent")
    model: Any = Field(default=None, description="provider:model or a registry NAME@ref")
    params: Any = Field(default=None, description="Model parameters")
    response_schema: Any = Field(default=None, description="JSON Schema of the response")
    description: Any = Field(default=None, description="Description of the prompt (not part of the version)")
    message: str = Field(default="", description="Commit message")


class PromptYamlCreate(BaseModel):
    """A new version from prompt.yaml text; ``filename`` is used in error messages."""

    yaml: str
    filename: str = "<prompt.yaml>"
    message: str = ""


class RenderRequest(BaseModel):
    variables: Any = Field(default=None, description="Variable name -> value")


class LabelRequest(BaseModel):
    label: str


def _created(response: Response, result: tuple[PromptVersion, bool]) -> PromptVersion:
    version, created = result
    response.status_code = 201 if created else 200
    return version


@router.get("/projects/{project}/prompts", response_model=Page[PromptInfo])
def list_prompts(project: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[PromptInfo]:
    """Prompts of a project by name, with their latest version and labels."""
    return PromptService(store, project).list(offset=offset, limit=limit)


@router.post("/projects/{project}/prompts/{name}/versions", response_model=PromptVersion, status_code=201,
             responses=_CREATED)
def create_version(project: str, name: str, body: PromptCreate, store: StoreDep, actor: ActorDep,
                   response: Response) -> PromptVersion:
    """Create a version; identical content to the latest returns it (200) instead."""
    fields = body.model_dump(exclude={"message"}, exclude_none=True)
    service = PromptService(store, project, actor)
    return _created(response, service.create_or_get(name, build_spec(fields), message=body.message))


@router.post("/projects/{project}/prompts/{name}/versions/yaml", response_model=PromptVersion, status_code=201,
             responses=_CREATED)
def create_version_from_yaml(project: str, name: str, body: PromptYamlCreate, store: StoreDep, actor: ActorDep,
                             response: Response) -> PromptVersion:
    """Create a version from prompt.yaml text (errors name the file, line and field)."""
    service = PromptService(store, project, actor)
    return _created(response, service.create_or_get(name, spec_from_yaml(body.yaml, body.filename),
                                                    message=body.message))


@router.get("/projects/{project}/prompts/{name}/versions", response_model=Page[PromptVersion])
def list_versions(project: str, name: str, store: StoreDep, offset: OffsetQ = 0,
                  limit: LimitQ = 50) -> Page[PromptVersion]:
    """Versions of a prompt, newest first."""
    return PromptService(store, project).versions(name, offset=offset, limit=limit)


def _json(model: BaseModel) -> Response:
    """Serialise a schema straight to JSON bytes: the hot-path routes skip FastAPI's re-validation."""
    return Response(content=model.model_dump_json(), media_type="application/json")


async def _store(request: Request) -> Store:
    """``StoreDep``, but async: FastAPI runs a sync dependency on its threadpool, a hop the hot path skips."""
    return request.app.state.store  # type: ignore[no-any-return]


@router.get("/projects/{project}/prompts/{ref}", response_model=PromptVersion)
async def get_version(project: str, ref: str, store: Annotated[Store, Depends(_store)]) -> Response:
    """The version a reference points at (``NAME``, ``NAME@3``, ``NAME@production``)."""
    service = PromptService(store, project)
    version = service.cached(ref)
    if version is None:
        version = await run_in_threadpool(service.get, ref)  # reads the database: off the event loop
    return _json(version)


@router.post("/projects/{project}/prompts/{ref}/render", response_model=RenderedPrompt)
def render(project: str, ref: str, body: RenderRequest, store: StoreDep) -> Response:
    """Render a version with variables (a missing variable is a 400 naming it)."""
    return _json(PromptService(store, project).render(ref, body.variables))


@router.get("/projects/{project}/prompts/{ref}/diff", response_model=PromptDiff)
def diff(project: str, ref: str, store: StoreDep,
         other: str = Query(description="The reference to compare with")) -> PromptDiff:
    """What changed from ``ref`` to ``other``."""
    return PromptService(store, project).diff(ref, other)


@router.post("/projects/{project}/prompts/{ref}/labels", response_model=PromptVersion)
def set_label(project: str, ref: str, body: LabelRequest, store: StoreDep, actor: ActorDep) -> PromptVersion:
    """Point a label at the version ``ref`` resolves to (moving it if it exists)."""
    return PromptService(store, project, actor).label(ref, body.label)


@router.delete("/projects/{project}/prompts/{name}/labels/{label}", status_code=204)
def remove_label(project: str, name: str, label: str, store: StoreDep, actor: ActorDep) -> Response:
    """Remove a label from a prompt."""
    PromptService(store, project, actor).unlabel(name, label)
    return Response(status_code=204)
