"""Alembic environment: runs on the connection :func:`govservice.db.migrate` passes in.

There is no alembic.ini: the caller opens the connection (already inside its locked
transaction) and, to write a revision, passes the models' metadata as ``target_metadata``.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=config.attributes.get("target_metadata"),
    # SQLite alters most things only by copying the table: autogenerate writes batch operations.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
