"""The schema is versioned: Alembic migrations upgrade a database in place, whatever release wrote it.

An incident record is an audit trail, so a database is never recreated. `upgrade` meets three cases:
an empty database is migrated from scratch; one written by release 0.1.0 (the tables, but no
`alembic_version`) is first stamped at the baseline, which is exactly that release's schema, so nothing
is recreated; and one stamped with a revision this code does not know (a newer Firehouse wrote it) is
refused. On PostgreSQL every replica takes an advisory lock around it, so one migrates and the others
wait and then find the schema current.

The Alembic config is built here, not read from an alembic.ini, so an installed wheel migrates too.
A developer makes a new migration with `python -m firehouse.store.migrate revision "what changed"`.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from firehouse import __version__
from firehouse.errors import ConfigError

# Alembic lists its built-in plugins when it is imported: nothing an operator's start-up log needs.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the schema release 0.1.0 made with create_all, before there were migrations
LOCK_KEY = 0x4D494752  # "MIGR": not the scheduler leadership's key, so a leader never blocks an upgrade
_ALEMBIC = threading.RLock()  # Alembic runs a migration through a process-wide `alembic.context`


@dataclass(frozen=True)
class Revision:
    """Where a database's schema stands: its revision (None when it has none) against this code's head."""

    revision: str | None
    head: str
    unversioned: bool = False  # release 0.1.0's tables without an alembic_version: upgraded from the baseline

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head

    def __str__(self) -> str:
        if self.revision:
            return f"revision {self.revision}"
        return "release 0.1.0's tables, no revision" if self.unversioned else "an empty database"


def config(connection: Connection | None = None) -> Config:
    """Alembic's config for the migrations inside the package; they run on `connection`."""
    alembic = Config()
    alembic.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    alembic.attributes["connection"] = connection
    return alembic


def head() -> str:
    """The newest revision this code knows."""
    return _scripts().get_current_head()


def current(engine: Engine) -> Revision:
    """The database's revision; ConfigError when a newer Firehouse wrote it."""
    with _quiet(), engine.connect() as connection:
        return _revision(connection)


def upgrade(engine: Engine) -> tuple[Revision, Revision]:
    """Bring the schema to this code's head in place; returns (before, after), `before` as found under the lock."""
    with _quiet(), engine.connect() as connection, _exclusive(connection):
        before = _revision(connection)
        if not before.up_to_date:
            alembic = config(connection)
            if before.unversioned:
                command.stamp(alembic, BASELINE)
            command.upgrade(alembic, "head")
        connection.commit()
        after = _revision(connection)
        connection.commit()
    if after != before:
        log.info("database schema upgraded from %s to %s", before, after)
    return before, after


def _revision(connection: Connection) -> Revision:
    heads = MigrationContext.configure(connection).get_current_heads()
    known = {script.revision for script in _scripts().walk_revisions()}
    for revision in heads:
        if revision not in known:
            raise ConfigError(f"FIREHOUSE_DATABASE_URL: the database at {_shown(connection)} has schema revision"
                              f" {revision}, which Firehouse {__version__} does not know: a newer Firehouse wrote"
                              f" it; run that version or a later one")
    if heads:
        return Revision(revision=" ".join(sorted(heads)), head=head())
    found = inspect(connection)
    tables = set(found.get_table_names())
    if not tables or not tables & set(_baseline_columns()):
        return Revision(revision=None, head=head())
    missing = [f"{table}.{column}" for table, columns in _baseline_columns().items() for column in columns
               if table not in tables or column not in {c["name"] for c in found.get_columns(table)}]
    if missing:
        raise ConfigError(f"FIREHOUSE_DATABASE_URL: the database at {_shown(connection)} has Firehouse tables"
                          f" without a schema revision, but not release 0.1.0's schema (it lacks"
                          f" {', '.join(missing[:3])}), so it cannot be upgraded in place")
    return Revision(revision=None, head=head(), unversioned=True)


@cache
def _baseline_columns() -> dict[str, tuple[str, ...]]:
    """Release 0.1.0's tables and columns, taken from the baseline migration itself (run in memory)."""
    engine = create_engine("sqlite://")
    with _ALEMBIC, _quiet(everything=True), engine.connect() as connection:
        command.upgrade(config(connection), BASELINE)
        found = inspect(connection)
        tables = {t: tuple(c["name"] for c in found.get_columns(t))
                  for t in found.get_table_names() if t != "alembic_version"}
    engine.dispose()
    return tables


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


@contextmanager
def _exclusive(connection: Connection) -> Iterator[None]:
    """One migrator at a time: among replicas on PostgreSQL, then among this process's threads."""
    among_replicas = _advisory_lock(connection) if connection.dialect.name == "postgresql" else nullcontext()
    with among_replicas, _ALEMBIC:
        yield


@contextmanager
def _advisory_lock(connection: Connection) -> Iterator[None]:
    """A session lock the other replicas wait for; it dies with the connection if this replica does."""
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
    connection.commit()
    try:
        yield
    finally:
        try:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            connection.commit()
        except DBAPIError:
            connection.invalidate()  # the server ends the session, and the lock with it


class _Chatter(logging.Filter):
    """Alembic's notes on how it connects, said on every look at the revision; its migrations still log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Context impl", "Will assume"))


@contextmanager
def _quiet(*, everything: bool = False) -> Iterator[None]:
    """Drop alembic's chatter while the block runs (or all it says, for work nobody needs to hear of)."""
    logger = logging.getLogger("alembic.runtime.migration")
    chatter = logging.Filter("-nothing-") if everything else _Chatter()
    logger.addFilter(chatter)
    try:
        yield
    finally:
        logger.removeFilter(chatter)


def _shown(connection: Connection) -> str:
    return connection.engine.url.render_as_string(hide_password=True)


def _new_revision(message: str) -> None:
    """Write the next numbered migration: what tables.py has that a database at head lacks."""
    number = max(int(script.revision) for script in _scripts().walk_revisions()) + 1
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        with engine.connect() as connection:
            command.upgrade(config(connection), "head")
            connection.commit()
            command.revision(config(connection), message=message, autogenerate=True, rev_id=f"{number:04d}")
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m firehouse.store.migrate revision "what changed"')
    _new_revision(sys.argv[2])
