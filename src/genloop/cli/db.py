"""`genloop db ...`: operate the store's database."""

from __future__ import annotations

import typer

from genloop.cli._common import console

app = typer.Typer(help="Operate the store's database (migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations to GENLOOP_DATABASE_URL (GenLoop also does this on start)."""
    from genloop.settings import Settings
    from genloop.store import Database

    db = Database(Settings().resolved_database_url, migrate=False)
    before = db.current_revision()
    head = db.upgrade()
    if before == head:
        console.print(f"database is up to date (revision {head})")
    else:
        console.print(f"upgraded database from {before or 'empty'} to {head}")
    db.dispose()


@app.command("current")
def current() -> None:
    """Print the database's migration revision and the newest one this GenLoop knows."""
    from genloop.settings import Settings
    from genloop.store import Database

    db = Database(Settings().resolved_database_url, migrate=False)
    console.print(f"current: {db.current_revision() or 'empty'}  head: {db.head_revision()}")
    db.dispose()
