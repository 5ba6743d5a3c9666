"""`genloop users create|list|show|deactivate|set-password`: people and service accounts (server-wide)."""

from __future__ import annotations

from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, get_client, print_json, print_table

app = typer.Typer(help="Manage users and service accounts (their roles: genloop roles).", no_args_is_help=True)

_COLUMNS = ["id", "name", "kind", "email", "has_password", "roles", "deactivated_at"]


@app.command("create")
def create(
    name: str,
    email: Annotated[str, typer.Option("--email", help="E-mail address.")] = "",
    password: Annotated[str | None, typer.Option("--password", help="Studio password (8+ characters); "
                                                 "or set one later: genloop users set-password.")] = None,
    service: Annotated[bool, typer.Option("--service", help="A service account: owns keys, no password.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a user (or, with --service, a service account)."""
    with get_client() as client:
        user = client.users.create(name, email=email, password=password, service=service)
    if as_json:
        print_json(user)
    else:
        typer.echo(f"created {user.kind} {user.name} (id {user.id}); give them a role: genloop roles grant {name} ROLE")


@app.command("list")
def list_(include_inactive: Annotated[bool, typer.Option("--all", help="Deactivated ones too.")] = False,
          as_json: JsonOpt = False) -> None:
    """List users and service accounts."""
    with get_client() as client:
        users = client.users.list(include_inactive=include_inactive)
    if as_json:
        print_json(users)
    else:
        print_table(users, _COLUMNS, title=f"users ({len(users)})")


@app.command("show")
def show(name: str, as_json: JsonOpt = False) -> None:
    """Show one user and their roles."""
    with get_client() as client:
        user = client.users.get(name)
    if as_json:
        print_json(user)
    else:
        print_table([user], _COLUMNS)


@app.command("deactivate")
def deactivate(name: str, as_json: JsonOpt = False) -> None:
    """Deactivate a user: every key of theirs is revoked at once; their audit history stays."""
    with get_client() as client:
        user = client.users.deactivate(name)
    if as_json:
        print_json(user)
    else:
        typer.echo(f"deactivated {user.name} (id {user.id}); their keys are revoked")


@app.command("set-password")
def set_password(
    name: str,
    password: Annotated[str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="The new password (asked for when left out).")],
) -> None:
    """Set a person's Studio password."""
    with get_client() as client:
        user = client.users.set_password(name, password)
    typer.echo(f"password set for {user.name}")
