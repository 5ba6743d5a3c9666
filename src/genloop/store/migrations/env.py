"""Alembic environment: migrations run on the connection GenLoop hands over (see store/_db.py)."""

from alembic import context

config = context.config
connection = config.attributes.get("connection")
target_metadata = config.attributes.get("target_metadata")

if connection is None:  # pragma: no cover - GenLoop always passes a connection
    raise RuntimeError("run migrations through `genloop db upgrade` or genloop.store.Database.upgrade()")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
