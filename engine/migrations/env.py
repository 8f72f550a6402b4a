"""Alembic environment: the connection comes from ``engine.schema`` (no alembic.ini needed)."""

from alembic import context

from engine.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only engine.schema drives migrations
    raise RuntimeError("run migrations through `onewindow init-db` (engine.schema.upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
