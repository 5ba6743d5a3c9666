"""`genloop traces list|show`: query traces of the gateway and of instrumented apps."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Query traces (one per gateway request).", no_args_is_help=True)


@app.command("list")
def list_(
    project: ProjectOpt = "default",
    deployment: Annotated[str | None, typer.Option("--deployment", "-d")] = None,
    variant: Annotated[str | None, typer.Option("--variant")] = None,
    status: Annotated[str | None, typer.Option("--status", help="ok, error, blocked, cancelled, rejected")] = None,
    user: Annotated[str | None, typer.Option("--user")] = None,
    session: Annotated[str | None, typer.Option("--session")] = None,
    since: Annotated[dt.datetime | None, typer.Option("--since", help="ISO time, inclusive.")] = None,
    until: Annotated[dt.datetime | None, typer.Option("--until", help="ISO time, exclusive.")] = None,
    meta: Annotated[list[str] | None, typer.Option("--meta", help="Metadata filter key=value (repeatable).")] = None,
    guardrail: Annotated[str | None, typer.Option("--guardrail", help="any, flag, mask, redact or block.")] = None,
    feedback: Annotated[bool | None, typer.Option("--feedback/--no-feedback", help="With (or without) feedback.")] = None,
    search: Annotated[str | None, typer.Option("--search", "-s", help="Words in the input or output.")] = None,
    cursor: Annotated[str | None, typer.Option("--cursor", help="next_cursor of the previous page.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List traces, newest first (page on with --cursor, printed under the table)."""
    metadata = {}
    for item in meta or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"invalid --meta {item!r}", hint="write --meta key=value")
        metadata[key] = value
    with get_client(project) as client:
        page = client.traces.list(deployment=deployment, variant=variant, status=status, user=user,
                                  session_id=session, since=since, until=until,
                                  metadata=metadata or None, guardrail=guardrail, feedback=feedback, search=search,
                                  cursor=cursor, offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    rows = [{"id": t.id, "time": t.started_at, "deployment": t.deployment, "variant": t.variant, "status": t.status,
             "latency_ms": t.latency_ms, "tokens": t.total_tokens, "cost_usd": t.cost_usd, "user": t.user}
            for t in page.items]
    print_table(rows, ["id", "time", "deployment", "variant", "status", "latency_ms", "tokens", "cost_usd", "user"],
                title=f"traces ({len(page.items)} of {page.total}{'' if page.total_exact else '+'})")
    if page.next_cursor:
        typer.echo(f"next page: --cursor {page.next_cursor}")


@app.command("show")
def show(trace_id: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Show one trace with its spans and feedback."""
    with get_client(project) as client:
        trace = client.traces.get(trace_id)
    if as_json:
        print_json(trace)
        return
    print_json(trace.model_dump(mode="json", exclude={"spans"}))
    print_table(trace.spans or [], ["name", "kind", "status", "duration_ms", "attributes"], title="spans")


@app.command("sessions")
def sessions(
    project: ProjectOpt = "default",
    user: Annotated[str | None, typer.Option("--user")] = None,
    deployment: Annotated[str | None, typer.Option("--deployment", "-d")] = None,
    cursor: Annotated[str | None, typer.Option("--cursor", help="next_cursor of the previous page.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List sessions (traces sharing a session id), the most recently active first."""
    with get_client(project) as client:
        page = client.traces.sessions(user=user, deployment=deployment, cursor=cursor, limit=limit)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["session_id", "traces", "first_at", "last_at", "users", "errors", "tokens", "cost_usd"],
                title="sessions")
    if page.next_cursor:
        typer.echo(f"next page: --cursor {page.next_cursor}")


@app.command("trajectory")
def trajectory(trace_id: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Show an agent trace's tool calls in order (OTLP GenAI conventions), its question and final answer."""
    with get_client(project) as client:
        found = client.traces.trajectory(trace_id)
    if as_json:
        print_json(found)
        return
    typer.echo(f"input: {found.input}")
    print_table([{"name": c.name, "arguments": c.arguments, "id": c.id, "executed": c.executed}
                 for c in found.tool_calls], ["name", "arguments", "id", "executed"], title="tool calls")
    typer.echo(f"answer: {found.answer}")


@app.command("to-dataset")
def to_dataset(
    name: Annotated[str, typer.Argument(help="Dataset to write a new eval version of.")],
    trace_ids: Annotated[list[str], typer.Argument(help="Trace ids (or unique prefixes), one row each.")],
    expected: Annotated[Path | None, typer.Option("--expected", help="JSON file: trace id -> expected tool calls.")]
    = None,
    message: Annotated[str, typer.Option("--message", "-m")] = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Write traces' trajectories (input, answer, tool_calls, expected_tool_calls) as an eval dataset version."""
    calls = None
    if expected is not None:
        try:
            calls = json.loads(expected.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read --expected {expected}: {exc}",
                               hint='write a JSON object {"TRACE_ID": [{"name": ..., "arguments": {...}}]}') from exc
        if not isinstance(calls, dict):
            raise InvalidInput(f"--expected {expected} must hold a JSON object of trace id to calls")
    with get_client(project) as client:
        written = client.traces.to_dataset(name, trace_ids, expected=calls, message=message)
    if as_json:
        print_json(written)
        return
    typer.echo(f"wrote {written.dataset.ref} ({written.rows} rows) from run {written.run_id}; evaluate it with the "
               "tool_calls metric and output_column: answer")
