"""Alembic's entry point: runs the migrations on the connection `firehouse.store.migrate` hands it."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from firehouse.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


def render_item(kind: str, item: object, _autogen_context) -> str | bool:
    """Render SQLModel's AutoString as plain sa.String, so a migration does not depend on SQLModel."""
    if kind == "type" and isinstance(item, AutoString):
        return f"sa.String(length={item.length})" if item.length else "sa.String()"
    return False


connection = context.config.attributes["connection"]  # no alembic.ini and no URL of its own: see migrate.py
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
    render_item=render_item,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
