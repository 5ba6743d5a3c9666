"""`genloop admin create`: the operator bootstrap of a fresh install (runs on the server's own database)."""

from __future__ import annotations

from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, print_json

app = typer.Typer(help="Operator bootstrap: the first admin user and their key.", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    email: Annotated[str, typer.Option("--email", help="E-mail address.")] = "",
    password: Annotated[str | None, typer.Option("--password", help="Studio password (8+ characters).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Add an admin even though one exists.")] = False,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Create the first admin user (admin of the project, with an operator key) and print the key, once."""
    from genloop.auth._bootstrap import bootstrap_admin
    from genloop.store import Store

    store = Store()
    try:
        key = bootstrap_admin(store, name, email=email, password=password, project=project, force=force)
    finally:
        store.close()
    if as_json:
        print_json(key)
        return
    typer.echo(key.key)
    typer.echo(f"created admin {name} in project {key.project} with key {key.id} (operator); the secret is not "
               "shown again", err=True)
