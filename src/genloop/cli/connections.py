"""`genloop connections create|list|show|delete`: named provider connections (the operator's endpoints and keys)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, get_client, print_json, print_table

app = typer.Typer(help="Manage provider connections: where server-held keys may be sent (operator only).",
                  no_args_is_help=True)

_COLUMNS = ["name", "provider", "base_url", "secret_env", "has_secret", "description", "created_by"]


@app.command("create")
def create(
    name: str,
    provider: Annotated[str, typer.Option("--provider", help="Wire format: openai, anthropic or gemini.")],
    base_url: Annotated[str | None, typer.Option("--base-url", help="Endpoint; default the provider's.")] = None,
    secret_env: Annotated[str | None, typer.Option("--secret-env", help="Server env var holding the key.")] = None,
    secret_stdin: Annotated[bool, typer.Option("--secret-stdin", help="Read the key from stdin and store it.")] = False,
    description: Annotated[str, typer.Option("--description")] = "",
    replace: Annotated[bool, typer.Option("--replace", help="Change an existing connection.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a connection; deployments name it with connection=NAME, models with --connection NAME."""
    secret = sys.stdin.readline().strip() if secret_stdin else None
    with get_client() as client:
        info = client.connections.create(name, provider=provider, base_url=base_url, secret_env=secret_env,
                                         secret=secret, description=description, replace=replace)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"{'changed' if replace else 'created'} connection {info.name} ({info.provider} {info.base_url})")


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List connections (never their secrets)."""
    with get_client() as client:
        page = client.connections.list(limit=1000)
    if as_json:
        print_json(page)
    else:
        print_table(page.items, _COLUMNS, title=f"connections ({page.total})")


@app.command("show")
def show(name: str, as_json: JsonOpt = False) -> None:
    """Show one connection."""
    with get_client() as client:
        info = client.connections.get(name)
    if as_json:
        print_json(info)
    else:
        print_table([info], _COLUMNS)


@app.command("delete")
def delete(name: str, as_json: JsonOpt = False) -> None:
    """Delete a connection; deployments that name it stop resolving."""
    with get_client() as client:
        info = client.connections.delete(name)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"deleted connection {info.name}")
