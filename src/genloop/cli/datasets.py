"""`genloop datasets ...` (placeholder until its slice lands)."""

import typer

app = typer.Typer(help="Manage datasets.", no_args_is_help=True)
