"""`genloop roles grant|revoke|list`: a user's role in a project (admin, editor, reviewer, annotator, viewer)."""

from __future__ import annotations

import typer

from genloop.auth import ROLES
from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table

app = typer.Typer(help=f"Manage roles per project ({', '.join(ROLES)}).", no_args_is_help=True)


@app.command("grant")
def grant(user: str, role: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Give USER the ROLE in the project (replacing the role they had)."""
    with get_client(project) as client:
        member = client.roles.grant(user, role)
    if as_json:
        print_json(member)
    else:
        typer.echo(f"{member.user} is {member.role} in project {member.project}")


@app.command("revoke")
def revoke(user: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Take USER's role in the project away (their keys there stop working)."""
    with get_client(project) as client:
        member = client.roles.revoke(user)
    if as_json:
        print_json(member)
    else:
        typer.echo(f"{member.user} no longer has a role in project {member.project}")


@app.command("list")
def list_(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Users with a role in the project."""
    with get_client(project) as client:
        members = client.roles.list()
    if as_json:
        print_json(members)
    else:
        print_table(members, ["user", "role", "created_at", "created_by"], title=f"roles in {project}")
