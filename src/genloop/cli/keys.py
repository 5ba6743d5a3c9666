"""`genloop keys create|list|show|revoke`: API keys for the gateway and the REST API."""

from __future__ import annotations

from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table

app = typer.Typer(help="Manage API keys (stored hashed; the secret is shown once).", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    scope: Annotated[list[str] | None, typer.Option("--scope", help="gateway, read, write, admin; metrics, operator "
                                                  "(server-wide) (repeatable).")] = None,
    deployment: Annotated[list[str] | None, typer.Option("--deployment", help="Limit to these (repeatable).")] = None,
    rpm: Annotated[int | None, typer.Option("--rpm", min=1, help="Requests per minute.")] = None,
    tpm: Annotated[int | None, typer.Option("--tpm", min=1, help="Tokens per minute.")] = None,
    budget: Annotated[float | None, typer.Option("--budget", help="USD; requests get 429 once it is spent.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="The user or service account it belongs to (a user's "
                                             "key acts as them, with at most their role).")] = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Create a key and print its secret (this once)."""
    with get_client(project) as client:
        key = client.keys.create(name, scopes=scope, deployments=deployment, rpm_limit=rpm,
                                 tpm_limit=tpm, budget_usd=budget, user=user)
    if as_json:
        print_json(key)
        return
    typer.echo(key.key)
    typer.echo(f"created {key.id} ({', '.join(key.scopes)}) in project {key.project}; the secret is not shown again",
               err=True)


@app.command("list")
def list_(project: ProjectOpt = "default", include_revoked: Annotated[bool, typer.Option("--all")] = False,
          as_json: JsonOpt = False) -> None:
    """List keys (never their secrets)."""
    with get_client(project) as client:
        page = client.keys.list(include_revoked=include_revoked, limit=1000)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["id", "name", "scopes", "deployments", "rpm_limit", "tpm_limit", "budget_usd",
                             "spent_usd", "revoked_at"], title=f"keys ({page.total})")


@app.command("show")
def show(key_id: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Show one key by its id (the visible prefix)."""
    with get_client(project) as client:
        info = client.keys.get(key_id)
    if as_json:
        print_json(info)
    else:
        print_table([info], ["id", "name", "project", "scopes", "deployments", "spent_usd", "revoked_at"])


@app.command("revoke")
def revoke(key_id: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Revoke a key; it stops working within a second."""
    with get_client(project) as client:
        info = client.keys.revoke(key_id)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"revoked {info.id} ({info.name})")
