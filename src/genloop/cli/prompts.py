"""`genloop prompts ...` (placeholder until its slice lands)."""

import typer

app = typer.Typer(help="Manage prompts.", no_args_is_help=True)
