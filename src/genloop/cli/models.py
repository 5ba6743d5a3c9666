"""`genloop models ...`: register model versions, list them, move aliases and change status."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, console, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Manage models: provider models, checkpoints, adapters; aliases and review status.",
                  no_args_is_help=True)


@app.command("register")
def register(
    name: Annotated[str, typer.Argument(help="Model name.")],
    kind: Annotated[str, typer.Option("--kind", help="provider, checkpoint, adapter, merged or quantized.")],
    uri: Annotated[str, typer.Option("--uri", help="provider:model, a local path, or an fsspec URI.")],
    base: Annotated[str | None, typer.Option("--base", help="Base model ref (required for adapters).")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Provider base URL (gets no server keys).")] = None,
    connection: Annotated[str | None, typer.Option("--connection", help="Provider connection (endpoint and key) "
                                                   "an operator created.")] = None,
    description: Annotated[str, typer.Option("--description", help="What this version is.")] = "",
    config: Annotated[str | None, typer.Option("--config", help="Extra config as a JSON object.")] = None,
    copy: Annotated[bool, typer.Option("--copy", help="Copy a local path into the artifact store.")] = False,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Register a version (identical content to the latest version returns it)."""
    parsed: dict[str, Any] | None = None
    if config is not None:
        try:
            parsed = json.loads(config)
        except ValueError as exc:
            raise InvalidInput(f"--config is not JSON: {exc}", hint='write e.g. --config \'{"dtype": "bf16"}\'') from exc
    if connection is not None:
        parsed = {**(parsed or {}), "connection": connection}
    with get_client(project) as client:
        version, created = client.models.register_or_get(
            name, kind=kind, uri=uri, base=base, base_url=base_url, config=parsed, description=description, copy=copy,
        )
    if as_json:
        print_json(version)
        return
    verb = "registered" if created else "unchanged, already"
    console.print(f"{verb} {version.name}@{version.version} ({version.kind}, {version.status})")


@app.command("list")
def list_models(
    project: ProjectOpt = "default",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List models with their latest version, status and aliases."""
    with get_client(project) as client:
        page = client.models.list(offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["name", "latest_version", "kind", "status", "aliases", "description"],
                title=f"models ({len(page.items)} of {page.total})")


@app.command("versions")
def versions(
    name: Annotated[str, typer.Argument(help="Model name.")],
    project: ProjectOpt = "default",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List the versions of a model, newest first."""
    with get_client(project) as client:
        page = client.models.versions(name, offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["version", "kind", "uri", "base", "status", "aliases", "created_at", "created_by"],
                title=f"{name} ({len(page.items)} of {page.total} versions)")


def _flat(prefix: str, value: Any) -> list[tuple[str, Any]]:
    """``metadata.recipe.size.hidden  64``: one line per leaf, lists of scalars joined (readable, not JSON)."""
    if isinstance(value, dict):
        return [row for key, sub in value.items() for row in _flat(f"{prefix}.{key}", sub)]
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return [(prefix, json.dumps(value))]
    if isinstance(value, list):
        return [(prefix, ", ".join(map(str, value)))]
    return [(prefix, value)]


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@3 or NAME@champion.")],
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Show one version and its status history."""
    with get_client(project) as client:
        detail = client.models.show(ref)
    if as_json:
        print_json(detail)
        return
    console.print(f"[bold]{detail.name}@{detail.version}[/bold]  {detail.kind}  status: {detail.status}")
    rows = [("uri", detail.uri), ("base", detail.base), ("aliases", ", ".join(detail.aliases)),
            ("description", detail.description), *_flat("config", detail.config),
            *_flat("metadata", detail.metadata),
            ("source run", detail.source_run_id), ("created", f"{detail.created_at:%Y-%m-%d %H:%M:%S} by "
                                                              f"{detail.created_by}")]
    width = max(12, *(len(label) for label, value in rows if value))
    for label, value in rows:
        if value not in (None, "", [], {}):
            console.print(f"  {label:<{width}} {value}", markup=False, highlight=False)
    print_table([{"at": h.at, "actor": h.actor, "from": h.from_status, "to": h.to_status, "reason": h.reason}
                 for h in detail.history], ["at", "actor", "from", "to", "reason"], title="status history")


@app.command("alias")
def alias(
    ref: Annotated[str, typer.Argument(help="The version: NAME@3 (or NAME, NAME@other-alias).")],
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS", help="champion, production, ...")],
    project: ProjectOpt = "default",
) -> None:
    """Point ALIAS at the version REF resolves to."""
    with get_client(project) as client:
        version = client.models.alias(ref, alias_name)
    console.print(f"{version.name}@{alias_name} -> version {version.version}")


@app.command("unalias")
def unalias(
    name: Annotated[str, typer.Argument(help="Model name.")],
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS")],
    project: ProjectOpt = "default",
) -> None:
    """Remove ALIAS from model NAME."""
    with get_client(project) as client:
        client.models.unalias(name, alias_name)
    console.print(f"removed alias {name}@{alias_name}")


@app.command("status")
def status(
    ref: Annotated[str, typer.Argument(help="The version: NAME@3.")],
    new_status: Annotated[str, typer.Argument(metavar="STATUS", help="draft, reviewed, approved or retired.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the history).")] = None,
    project: ProjectOpt = "default",
) -> None:
    """Change a version's status (draft -> reviewed -> approved -> retired)."""
    with get_client(project) as client:
        before = client.models.get(ref)
        version = client.models.set_status(ref, new_status, reason=reason)
    console.print(f"{version.name}@{version.version}: {before.status} -> {version.status}")


@app.command("card")
def card(
    ref: Annotated[str, typer.Argument(help="Model version ref (NAME@3, NAME@production).")],
    intended_use: Annotated[str | None, typer.Option("--intended-use", help="Set the intended use (author only).")]
    = None,
    limitations: Annotated[str | None, typer.Option("--limitations", help="Set the limitations (author only).")]
    = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the Markdown to this file.")] = None,
    export: Annotated[str | None, typer.Option("--export", help="Copy the model's files and its card into this "
                                               "new folder.")] = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """The model card of a version as Markdown (from the registry, evaluations, reviews and the author's notes)."""
    from pathlib import Path

    with get_client(project) as client:
        cards = client.governance.cards
        if intended_use is not None or limitations is not None:
            cards.set_notes(ref, intended_use=intended_use, limitations=limitations)
        if export is not None:
            folder = cards.export(ref, export)
            typer.echo(f"exported {ref} with MODEL_CARD.md to {folder}")
            return
        result = cards.card(ref)
    if as_json:
        print_json(result)
    elif output is not None:
        Path(output).write_text(result.markdown, encoding="utf-8")
        typer.echo(f"wrote the card of {result.model} to {output}")
    else:
        typer.echo(result.markdown, nl=False)
