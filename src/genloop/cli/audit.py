"""`genloop audit`: list the audit log; `genloop audit export`: all of it as JSONL."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table

app = typer.Typer(help="The audit log: list changes, or export them all as JSONL.")
SinceOpt = Annotated[dt.datetime | None, typer.Option(
    "--since", help="ISO time such as 2025-01-31T09:00:00, inclusive; UTC unless it has an offset.")]
UntilOpt = Annotated[dt.datetime | None, typer.Option(
    "--until", help="ISO time, exclusive; UTC unless it has an offset.")]


@app.callback(invoke_without_command=True)
def audit(
    ctx: typer.Context,
    project: ProjectOpt = "default",
    entity_type: Annotated[str | None, typer.Option("--type", help="dataset, prompt, model, run, project...")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Entity name.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="create, label, status, delete...")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Who made the change.")] = None,
    since: Annotated[dt.datetime | None, typer.Option(
        "--since", help="ISO time such as 2025-01-31T09:00:00, inclusive; UTC unless it has an offset.")] = None,
    until: Annotated[dt.datetime | None, typer.Option("--until", help="ISO time, exclusive; UTC unless it has an offset.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List changes (who, when, what, before and after), newest first."""
    if ctx.invoked_subcommand is not None:
        return
    with get_client(project) as client:
        page = client.audit.list(entity_type=entity_type, name=name, action=action, actor=actor, since=since,
                                 until=until, offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    rows = [
        {"time": e.created_at, "actor": e.actor, "action": e.action, "entity": f"{e.entity_type}:{e.entity_name}",
         "version": e.entity_version, "before": e.before, "after": e.after}
        for e in page.items
    ]
    print_table(rows, ["time", "actor", "action", "entity", "version", "before", "after"],
                title=f"audit ({len(page.items)} of {page.total})")


@app.command("export")
def export(project: ProjectOpt = "default", since: SinceOpt = None, until: UntilOpt = None) -> None:
    """Write the whole audit log to stdout as JSONL, oldest first (for compliance archives)."""
    import sys

    with get_client(project) as client:
        client.compliance.export_audit(sys.stdout.buffer, since=since, until=until)
    sys.stdout.buffer.flush()
