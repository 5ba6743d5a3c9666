"""`genloop prompts ...`: create versions from prompt.yaml, list, show, render, label and diff.

Every command goes through ``get_client``, so it works on the local store and against
``GENLOOP_SERVER_URL`` alike. The prompt.yaml format is documented in :mod:`genloop.prompts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table
from genloop.errors import InvalidInput, NotFound

app = typer.Typer(help="Manage prompts: versioned templates, labels, diffs and rendering.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Prompt name.")]
RefArg = Annotated[str, typer.Argument(help="NAME, NAME@3 or NAME@label.")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=1000, help="Page size.")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="Items to skip.")]


@app.command("create")
def create(
    name: NameArg,
    file: Annotated[Path, typer.Option("--file", "-f", help="prompt.yaml to create the version from.")],
    message: Annotated[str, typer.Option("--message", "-m", help="Commit message.")] = "",
    project: ProjectOpt = "default",
) -> None:
    """Create a version of NAME from a prompt.yaml (identical content keeps the latest version)."""
    with get_client(project) as client:
        try:
            before: int | None = client.prompts.get(name).version
        except NotFound:
            before = None
        version = client.prompts.create_from_file(name, file, message=message)
    if version.version == before:
        typer.echo(f"unchanged: {version.ref} already has this content ({version.content_hash[:19]})")
    else:
        typer.echo(f"created {version.ref} ({version.content_hash[:19]})")


@app.command("list")
def list_(project: ProjectOpt = "default", limit: LimitOpt = 50, offset: OffsetOpt = 0, as_json: JsonOpt = False) -> None:
    """List the prompts of a project with their latest version and labels."""
    with get_client(project) as client:
        page = client.prompts.list(offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["name", "latest_version", "labels", "description", "updated_at"],
                title=f"prompts ({len(page.items)} of {page.total})")


@app.command("versions")
def versions(name: NameArg, project: ProjectOpt = "default", limit: LimitOpt = 50, offset: OffsetOpt = 0,
             as_json: JsonOpt = False) -> None:
    """List the versions of NAME, newest first."""
    with get_client(project) as client:
        page = client.prompts.versions(name, offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["version", "labels", "template_type", "variables", "model", "message", "created_at",
                             "created_by"], title=f"{name} ({len(page.items)} of {page.total} versions)")


@app.command("show")
def show(ref: RefArg, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Show a version as prompt.yaml (save it, edit it, create it again)."""
    from genloop.prompts import version_yaml

    with get_client(project) as client:
        version = client.prompts.get(ref)
    if as_json:
        print_json(version)
        return
    labels = f"  labels: {', '.join(version.labels)}" if version.labels else ""
    typer.echo(f"# {version.ref}{labels}  {version.content_hash}")
    typer.echo(f"# by {version.created_by} at {version.created_at.isoformat(timespec='seconds')}"
               + (f": {version.message}" if version.message else ""))
    typer.echo(version_yaml(version), nl=False)


@app.command("render")
def render(
    ref: RefArg,
    var: Annotated[list[str] | None, typer.Option("--var", help="KEY=VALUE (repeatable); wins over --vars-file.")] = None,
    vars_file: Annotated[Path | None, typer.Option("--vars-file", help="YAML or JSON mapping of variables.")] = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Render a version with variables."""
    from genloop.prompts import load_variables_file

    variables: dict[str, Any] = load_variables_file(vars_file) if vars_file is not None else {}
    for item in var or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--var expects KEY=VALUE, got {item!r}", hint="e.g. --var question='Where is it?'")
        variables[key] = value
    with get_client(project) as client:
        rendered = client.prompts.render(ref, variables)
    if as_json:
        print_json(rendered)
    elif rendered.messages is not None:
        for message in rendered.messages:
            typer.echo(f"[{message.role}]\n{message.content}\n")
    else:
        typer.echo(rendered.text)


@app.command("label")
def label(ref: RefArg, label: Annotated[str, typer.Argument(help="Label to set or move, e.g. production.")],
          project: ProjectOpt = "default") -> None:
    """Point LABEL at the version REF resolves to (moving it if it exists)."""
    with get_client(project) as client:
        version = client.prompts.label(ref, label)
    typer.echo(f"{label} -> {version.ref}")


@app.command("unlabel")
def unlabel(name: NameArg, label: Annotated[str, typer.Argument(help="Label to remove.")],
            project: ProjectOpt = "default") -> None:
    """Remove LABEL from prompt NAME."""
    with get_client(project) as client:
        client.prompts.unlabel(name, label)
    typer.echo(f"removed label {label} from {name}")


@app.command("diff")
def diff(ref_a: RefArg, ref_b: RefArg, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Show what changed from REF_A to REF_B."""
    with get_client(project) as client:
        result = client.prompts.diff(ref_a, ref_b)
    if as_json:
        print_json(result)
    elif result.identical:
        typer.echo(f"{result.a} and {result.b} have the same content")
    else:
        typer.echo(result.unified, nl=False)
