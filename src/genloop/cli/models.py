"""`genloop models ...` (placeholder until its slice lands)."""

import typer

app = typer.Typer(help="Manage models.", no_args_is_help=True)
