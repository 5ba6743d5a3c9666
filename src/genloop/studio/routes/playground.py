"""The playground: a prompt version rendered with variables and run against a model, streamed; two panes
side by side (two versions or two models); keep a result as a new version or as an evaluation example."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from genloop.errors import InvalidInput, NotFound
from genloop.prompts import PromptService
from genloop.studio._context import StudioDep
from genloop.studio._playground import model_choices, save_example, save_version, stream_reply

router = APIRouter()


class RunRequest(BaseModel):
    ref: str = Field(min_length=1, max_length=300)
    variables: dict[str, Any] = Field(default_factory=dict)
    model: str = Field(default="", max_length=300)
    params: dict[str, Any] = Field(default_factory=dict)


def _pane(service: PromptService, ref: str) -> Any:
    try:
        return service.get(ref) if ref else None
    except NotFound:
        return None


@router.get("/projects/{project}/playground")
def playground(project: str, studio: StudioDep, a: str = "", b: str = "", model_a: str = "",
               model_b: str = "") -> Response:
    """``?a=support@3&b=support@4`` (two versions) or ``?a=support@3&model_a=…&model_b=…`` (two models)."""
    studio.check("GET", f"/projects/{project}/prompts")
    service = PromptService(studio.store, project)
    prompts = [p.name for p in service.list(limit=200).items]
    first = _pane(service, a)
    second = _pane(service, b) if b else (first if model_b else None)
    return studio.render("prompts/playground.html", project=project, prompts=prompts,
                         panes=[("a", first, a, model_a), ("b", second, b or (a if model_b else ""), model_b)],
                         models=model_choices(studio.store, project))


@router.post("/projects/{project}/playground/run")
async def run(project: str, studio: StudioDep, body: RunRequest) -> Response:
    """Stream the reply as NDJSON (``delta`` lines, then ``done`` or ``error``)."""
    studio.check("POST", f"/projects/{project}/prompts/{body.ref}/render")
    stream = stream_reply(studio.store, project, body.ref, body.variables, body.model, body.params)
    return StreamingResponse(stream, media_type="application/x-ndjson",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/projects/{project}/playground/save-version")
def keep_version(project: str, studio: StudioDep, ref: str = Form(...), model: str = Form(...),
                 message: str = Form("")) -> Response:
    """The version tried, with the model tried, as a new version of its prompt."""
    name = ref.partition("@")[0]
    studio.check("POST", f"/projects/{project}/prompts/{name}/versions")
    version, _created = save_version(studio.store, project, studio.actor, ref, model, None, message)
    return studio.redirect(f"/projects/{project}/prompts/{version.name}/versions/{version.version}")


@router.post("/projects/{project}/playground/save-example")
def keep_example(project: str, studio: StudioDep, dataset: str = Form(...), variables: str = Form("{}"),
                 output: str = Form(...)) -> Response:
    """The variables and the reply as a new row (``reference``) of an evaluation dataset."""
    import json

    studio.check("POST", f"/projects/{project}/datasets/{dataset}/versions")
    try:
        values = json.loads(variables)
    except ValueError:
        raise InvalidInput("variables are not JSON", hint="run the pane again and save from it") from None
    version = save_example(studio.store, project, studio.actor, dataset.strip(), values, output)
    return studio.redirect(f"/projects/{project}/datasets/{version.name}/{version.version}")
