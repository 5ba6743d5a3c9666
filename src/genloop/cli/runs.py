"""`genloop runs ...` (placeholder until its slice lands)."""

import typer

app = typer.Typer(help="Manage runs.", no_args_is_help=True)
