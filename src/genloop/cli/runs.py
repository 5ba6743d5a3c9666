"""`genloop runs ...`: list runs and show what one logged."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from genloop.cli._common import JsonOpt, ProjectOpt, console, get_client, print_json, print_table

app = typer.Typer(help="Inspect runs: params, metrics, series, artifacts, inputs and outputs.", no_args_is_help=True)


@app.command("list")
def list_runs(
    kind: Annotated[str | None, typer.Option("--kind", help="eval, tune, data, optimize, pipeline...")] = None,
    status: Annotated[str | None, typer.Option("--status", help="running, succeeded, failed or cancelled.")] = None,
    project: ProjectOpt = "default",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List runs, newest first."""
    with get_client(project) as client:
        page = client.runs.list(kind=kind, status=status, offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    table = Table(title=f"runs ({len(page.items)} of {page.total})")
    table.add_column("id", no_wrap=True, min_width=32)  # the full id: `genloop runs show ID` needs it
    for column in ("kind", "name", "status", "started", "duration s", "metrics"):
        table.add_column(column)
    for r in page.items:
        duration = f"{r.duration_s:.1f}" if r.duration_s is not None else ""
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in r.metrics.items())
        table.add_row(r.id, r.kind, r.name, r.status, f"{r.started_at:%Y-%m-%d %H:%M:%S}", duration, metrics)
    console.print(table)


@app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="The run id.")],
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Show a run: params, metrics, series (last, min, max), artifacts, inputs and outputs."""
    with get_client(project) as client:
        run = client.runs.get(run_id)
    if as_json:
        print_json(run)
        return
    title = f"[bold]run {run.id}[/bold]  {run.kind}" + (f"  {run.name!r}" if run.name else "")
    console.print(f"{title}  status: {run.status}")
    ended = f" -> {run.ended_at:%Y-%m-%d %H:%M:%S}" if run.ended_at else ""
    console.print(f"  started {run.started_at:%Y-%m-%d %H:%M:%S}{ended} by {run.created_by}", highlight=False)
    if run.error:
        console.print(f"  error: {run.error}", markup=False, style="red")
    if run.params:
        print_table([{"param": k, "value": v} for k, v in run.params.items()], ["param", "value"], title="params")
    if run.metrics:
        print_table([{"metric": k, "value": v} for k, v in run.metrics.items()], ["metric", "value"],
                    title="metrics")
    if run.series:
        print_table(run.series, ["key", "count", "last_step", "last", "min", "max"], title="series")
    if run.summary:
        print_table([{"key": k, "value": v} for k, v in run.summary.items()], ["key", "value"], title="summary")
    if run.artifacts:
        print_table(run.artifacts, ["name", "size_bytes", "created_at"], title="artifacts")
    if run.inputs or run.outputs:
        edges = [{"direction": "input", "ref": r} for r in run.inputs]
        edges += [{"direction": "output", "ref": r} for r in run.outputs]
        print_table(edges, ["direction", "ref"], title="lineage")
