"""`genloop feedback add|list|export`: scores, labels, comments and corrected answers on traces, and export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Record, list and export feedback on traces.", no_args_is_help=True)


@app.command("add")
def add(
    trace_id: str,
    name: Annotated[str, typer.Option("--name", "-n", help="What is scored.")] = "score",
    score: Annotated[float | None, typer.Option("--score", help="A numeric score.")] = None,
    value: Annotated[bool | None, typer.Option("--good/--bad", help="A boolean verdict.")] = None,
    label: Annotated[str | None, typer.Option("--label", help="A category.")] = None,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    correction: Annotated[str | None, typer.Option("--correction", help="The answer it should have given.")] = None,
    source: Annotated[str, typer.Option("--source", help="human, api, rule or judge")] = "human",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Record feedback on TRACE_ID (the x-genloop-trace-id of a response)."""
    given = [v for v in (score, value, label) if v is not None]
    if len(given) > 1:
        raise InvalidInput("give one of --score, --good/--bad and --label")
    with get_client(project) as client:
        info = client.feedback.create(trace_id, name=name, value=given[0] if given else None,
                                                    comment=comment, correction=correction, source=source)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"feedback {info.id} recorded on trace {info.trace_id} ({info.kind})")


@app.command("list")
def list_(
    project: ProjectOpt = "default",
    trace_id: Annotated[str | None, typer.Option("--trace")] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    corrections: Annotated[bool, typer.Option("--corrections", help="Only feedback with a correction.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List feedback, newest first."""
    with get_client(project) as client:
        page = client.feedback.list(trace_id=trace_id, name=name,
                                                  has_correction=True if corrections else None,
                                                  offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["id", "trace_id", "name", "kind", "value", "comment", "correction", "created_at"],
                title=f"feedback ({len(page.items)} of {page.total})")


@app.command("export")
def export(
    kind: Annotated[str, typer.Option("--kind", "-k", help="sft (corrections) or preference (pairs).")],
    name: Annotated[str, typer.Option("--name", "-n", help="Dataset to add the new version to.")],
    deployment: Annotated[str | None, typer.Option("--deployment", "-d", help="Only traces of this deployment.")
                          ] = None,
    since: Annotated[dt.datetime | None, typer.Option("--since", help="Feedback from this ISO time, inclusive.")
                     ] = None,
    until: Annotated[dt.datetime | None, typer.Option("--until", help="Feedback before this ISO time.")] = None,
    feedback_name: Annotated[str | None, typer.Option("--feedback-name", help="Only feedback with this name.")
                             ] = None,
    like: Annotated[float | None, typer.Option("--like-threshold", help="preference: a score >= this is a like.")
                    ] = None,
    dislike: Annotated[float | None, typer.Option("--dislike-threshold",
                                                  help="preference: a score <= this is a dislike.")] = None,
    redact_pii: Annotated[bool, typer.Option("--redact-pii", help="Redact PII with the guardrail checks.")] = False,
    policy: Annotated[Path | None, typer.Option("--policy", help="Guardrail policy file whose redact/mask rules "
                                                                 "redact (implies --redact-pii).")] = None,
    message: Annotated[str, typer.Option("--message", "-m", help="The version's message.")] = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Export feedback to a new SFT or preference dataset version, with the traces in its lineage."""
    with get_client(project) as client:
        result = client.feedback.export(kind=kind, name=name, deployment=deployment, since=since, until=until,
                                        feedback_name=feedback_name, like_threshold=like, dislike_threshold=dislike,
                                        redact_pii=redact_pii, policy=policy, message=message)
    if as_json:
        print_json(result)
        return
    skipped = ", ".join(f"{reason} {count}" for reason, count in result.skipped.items()) or "none"
    state = "new version" if result.created else "unchanged, latest version"
    typer.echo(f"{result.dataset.ref} ({state}): {result.exported} {result.kind} rows from {result.traces} traces; "
               f"{result.considered} feedback considered, skipped: {skipped}; run {result.run_id}")
    if result.redactions:
        typer.echo("redacted: " + ", ".join(f"{k} {v}" for k, v in result.redactions.items()))
