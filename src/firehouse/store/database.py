"""The engine: SQLite by default, PostgreSQL to scale out; its schema upgraded in place by migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlmodel import create_engine

from firehouse.errors import ConfigError
from firehouse.store import migrate


def make_engine(url: str, *, upgrade: bool = True) -> Engine:
    """An engine for `url`, its schema upgraded in place unless `upgrade=False`; SQLite gets WAL and a busy timeout."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        engine.connect().close()
    except (ArgumentError, NoSuchModuleError, OperationalError, ImportError) as err:
        raise ConfigError(f"FIREHOUSE_DATABASE_URL: cannot open {_shown(url)}: {_first_line(err)}") from None
    if upgrade:
        try:
            migrate.upgrade(engine)
        except DBAPIError as err:
            raise ConfigError(f"FIREHOUSE_DATABASE_URL: cannot upgrade the schema of {_shown(url)}:"
                              f" {_first_line(err)}") from None
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for memory, URI forms and other databases): what a read-only command
    checks exists first, since opening a missing one would create it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or parsed.query.get("uri"):
        return None
    return Path(parsed.database)


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
