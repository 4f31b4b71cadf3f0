"""The engine: SQLite by default, PostgreSQL to scale out."""

from __future__ import annotations

from sqlalchemy import event, inspect, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import SQLModel, create_engine

from firehouse.errors import ConfigError
from firehouse.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


def make_engine(url: str) -> Engine:
    """An engine for `url` with the schema created; SQLite gets WAL and a busy timeout for threads."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        SQLModel.metadata.create_all(engine)
        missing = _missing_columns(engine)
    except (ArgumentError, NoSuchModuleError, OperationalError, ImportError) as err:
        raise ConfigError(f"FIREHOUSE_DATABASE_URL: cannot open {_shown(url)}: {_first_line(err)}") from None
    if missing:
        raise ConfigError(f"FIREHOUSE_DATABASE_URL: the database at {_shown(url)} was made by an older Firehouse"
                          f" and lacks {', '.join(missing[:3])}; start from a new database file")
    return engine


def _missing_columns(engine: Engine) -> list[str]:
    """Columns this version expects that the database's tables do not have."""
    found = inspect(engine)
    return [
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.name not in {c["name"] for c in found.get_columns(table.name)}
    ]


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else err.__class__.__name__


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
