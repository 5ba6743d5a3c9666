"""`genloop governance retention|erase`, `genloop prompts retire`, `genloop models retire` (issue 13)."""

from __future__ import annotations

from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, console, get_client, print_json

retention_app = typer.Typer(help="Retention of traces and feedback (days), enforced in batches.",
                            no_args_is_help=True)
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit log).")]


@retention_app.command("set")
def retention_set(
    traces_days: Annotated[int | None, typer.Option("--traces-days", help="Keep traces this many days.")] = None,
    feedback_days: Annotated[int | None, typer.Option("--feedback-days", help="Keep feedback this many days.")]
    = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Set the retention; a period left out keeps that kind forever."""
    with get_client(project) as client:
        info = client.compliance.set_retention(traces_days=traces_days, feedback_days=feedback_days)
    if as_json:
        print_json(info)
        return
    console.print(f"retention of {info.project}: traces {_days(info.traces_days)}, "
                  f"feedback {_days(info.feedback_days)}")


@retention_app.command("show")
def retention_show(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Show the retention of the project."""
    with get_client(project) as client:
        info = client.compliance.retention()
    if as_json:
        print_json(info)
        return
    console.print(f"retention of {info.project}: traces {_days(info.traces_days)}, "
                  f"feedback {_days(info.feedback_days)}")


@retention_app.command("run")
def retention_run(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Delete now what is older than the retention (the server also does this on a timer)."""
    with get_client(project) as client:
        result = client.compliance.run_retention()
    if as_json:
        print_json(result)
        return
    console.print(f"deleted {result.traces} traces ({result.spans} spans), {result.feedback} feedback "
                  f"in {result.batches} batches")


def erase(
    user: Annotated[str | None, typer.Option("--user", help="End-user id (the 'user' of the request).")] = None,
    session: Annotated[str | None, typer.Option("--session", help="Session id.")] = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Erase an end user's or a session's traces, spans and feedback; mark datasets exported from them."""
    with get_client(project) as client:
        result = client.compliance.erase(user_id=user, session_id=session)
    if as_json:
        print_json(result)
        return
    console.print(f"erased {result.traces} traces ({result.spans} spans), {result.feedback} feedback")
    for ref in result.marked_datasets:
        console.print(f"marked {ref} (tag erased-data): it holds rows exported from erased traces")


def retire_prompt(ref: Annotated[str, typer.Argument(help="Prompt version: NAME@3 or NAME@label.")],
                  reason: ReasonOpt = None, project: ProjectOpt = "default") -> None:
    """Retire a prompt version: still readable, but no new deployment version may use it."""
    with get_client(project) as client:
        out = client.compliance.retire("prompt", ref, reason=reason)
    console.print(f"retired prompt {out['name']}@{out['version']}")


def retire_model(ref: Annotated[str, typer.Argument(help="Model version: NAME@3 or NAME@alias.")],
                 reason: ReasonOpt = None, project: ProjectOpt = "default") -> None:
    """Retire a model version (status retired): still readable, but no new deployment version may use it."""
    with get_client(project) as client:
        out = client.compliance.retire("model", ref, reason=reason)
    console.print(f"retired model {out['name']}@{out['version']}")


def _days(days: int | None) -> str:
    return "forever" if days is None else f"{days} days"
