"""Prompts: the list, a prompt's versions and labels, one version, a diff of any two, the editor (a new
version seeded with the current one), and moving a label after a confirmation that shows what changes in
the deployments that use it."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from genloop.deployments._usage import deployments_using
from genloop.errors import InvalidInput, NotFound
from genloop.prompts import PromptService, version_yaml
from genloop.studio._context import StudioDep
from genloop.studio._params import ListQ, name_search, pager

router = APIRouter()


def _base(project: str, name: str = "") -> str:
    return f"/projects/{project}/prompts" + (f"/{name}" if name else "")


@router.get("/projects/{project}/prompts")
def prompts(project: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/prompts")
    service = PromptService(studio.store, project)
    found = name_search(lambda offset, limit: service.list(offset=offset, limit=limit), page, lambda item: item.name)
    return studio.render("prompts/list.html", project=project, prompts=found.items, q=page.q,
                         pager=pager(studio.request, found))


@router.get("/projects/{project}/prompts/{name}")
def prompt(project: str, name: str, studio: StudioDep, page: ListQ) -> Response:
    """The versions, newest first, with their labels; pick two to diff."""
    studio.check("GET", f"/projects/{project}/prompts/{name}/versions")
    service = PromptService(studio.store, project)
    versions = service.versions(name, offset=page.offset, limit=page.limit)
    latest = service.get(name)
    return studio.render("prompts/prompt.html", project=project, name=name, versions=versions.items,
                         latest=latest, pager=pager(studio.request, versions))


@router.get("/projects/{project}/prompts/{name}/versions/{version}")
def version(project: str, name: str, version: int, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/prompts/{name}@{version}")
    found = PromptService(studio.store, project).get(f"{name}@{version}")
    usage = deployments_using(studio.store, project, "prompt", name)
    return studio.render("prompts/version.html", project=project, name=name, v=found, yaml=version_yaml(found),
                         usage=usage)


@router.get("/projects/{project}/prompts/{name}/diff")
def diff(project: str, name: str, studio: StudioDep, a: str = "", b: str = "") -> Response:
    """``?a=3&b=5`` (versions or labels): a stable URL for a diff."""
    studio.check("GET", f"/projects/{project}/prompts/{name}/diff")
    if not a or not b:
        raise InvalidInput("a diff needs two versions: ?a=N&b=M", hint="pick two versions on the prompt's page")
    result = PromptService(studio.store, project).diff(f"{name}@{a}", f"{name}@{b}")
    return studio.render("prompts/diff.html", project=project, name=name, diff=result,
                         lines=result.unified.splitlines())


@router.get("/projects/{project}/prompts/{name}/edit")
def editor(project: str, name: str, studio: StudioDep, base: str = "") -> Response:
    """The editor, seeded with ``base`` (default the latest version) as prompt.yaml."""
    studio.check("GET", f"/projects/{project}/prompts/{name}")
    current = PromptService(studio.store, project).get(f"{name}@{base}" if base else name)
    return studio.render("prompts/edit.html", project=project, name=name, base=current, yaml=version_yaml(current),
                         message="", error=None)


@router.get("/projects/{project}/prompts-new")
def new_prompt(project: str, studio: StudioDep) -> Response:
    """The editor for a prompt that does not exist yet."""
    studio.check("GET", f"/projects/{project}/prompts")
    seed = "messages:\n  - role: system\n    content: You are a helpful assistant.\n  - role: user\n    content: '{{ question }}'\n"
    return studio.render("prompts/edit.html", project=project, name="", base=None, yaml=seed, message="", error=None)


@router.post("/projects/{project}/prompts/{name}/versions")
def create_version(project: str, name: str, studio: StudioDep, yaml: str = Form(...),
                   message: str = Form("")) -> Response:
    """Create a version from the editor's prompt.yaml; errors keep the text and name file, line and field."""
    studio.check("POST", f"/projects/{project}/prompts/{name}/versions")
    service = PromptService(studio.store, project, studio.actor)
    try:
        created = service.create_from_yaml(name, yaml, filename="editor", message=message)
    except InvalidInput as exc:
        return studio.render("prompts/edit.html", status_code=400, project=project, name=name, base=None, yaml=yaml,
                             message=message, error=str(exc))
    return studio.redirect(f"{_base(project, name)}/versions/{created.version}")


@router.post("/projects/{project}/prompts-new")
def create_prompt(project: str, studio: StudioDep, name: str = Form(...), yaml: str = Form(...),
                  message: str = Form("")) -> Response:
    return create_version(project, name.strip(), studio, yaml, message)


@router.get("/projects/{project}/prompts/{name}/labels/move")
def confirm_label(project: str, name: str, studio: StudioDep, label: str = "", to: int = 0) -> Response:
    """What moving ``label`` to version ``to`` changes: the diff and the deployments that follow the label."""
    studio.check("POST", f"/projects/{project}/prompts/{name}@{to}/labels")
    service = PromptService(studio.store, project)
    target = service.get(f"{name}@{to}")
    label = label.strip()
    if not label:
        raise InvalidInput("which label? ?label=production&to=N", hint="pick a label on the version's page")
    try:
        current: int | None = service.get(f"{name}@{label}").version
    except NotFound:  # a new label
        current = None
    change = service.diff(f"{name}@{current}", target.ref) if current is not None and current != to else None
    usage = deployments_using(studio.store, project, "prompt", name, label)
    return studio.render("prompts/move_label.html", project=project, name=name, label=label, target=target,
                         current=current, change=change, usage=usage)


@router.post("/projects/{project}/prompts/{name}/labels")
def move_label(project: str, name: str, studio: StudioDep, label: str = Form(...), to: int = Form(...)) -> Response:
    """Point ``label`` at version ``to`` (audited; the gateway follows within a second)."""
    studio.check("POST", f"/projects/{project}/prompts/{name}@{to}/labels")
    PromptService(studio.store, project, studio.actor).label(f"{name}@{to}", label.strip())
    return studio.redirect(f"{_base(project, name)}?moved={label.strip()}")
