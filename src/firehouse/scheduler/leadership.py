"""One scheduler for many replicas: the replica holding a PostgreSQL advisory lock leads.

Several `firehouse serve` replicas may answer Slack over HTTP against one PostgreSQL database, but only
one may run the status board's jobs, or every prompt would go out once per replica. The lock lives as
long as the leader's connection: when the leader dies, PostgreSQL frees it and another replica takes
over. SQLite serves one process, which always leads.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

LOCK_KEY = 0x46495245  # "FIRE": the advisory lock every Firehouse replica asks for


class Leadership:
    """Whether this process leads the scheduler; `held()` tries to become leader when it is not."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None

    def held(self) -> bool:
        if not self.shared:
            return True
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))  # still connected, so still holding the lock
                self._connection.commit()
                return True
            connection = self.engine.connect()
            if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
                connection.commit()
                self._connection = connection
                log.info("this replica now leads the scheduler")
                return True
            connection.close()
        except DBAPIError as err:
            log.warning("scheduler leadership lost: %s", err.__class__.__name__)
            self._drop()
        return False

    def leader_exists(self) -> bool:
        """Whether some replica leads: this one, or another that holds the lock (PostgreSQL's lock table)."""
        if not self.shared or self._connection is not None:
            return True
        with self.engine.connect() as connection:
            return bool(connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0"
                " AND objid::bigint = :key AND objsubid = 1"), {"key": LOCK_KEY}).scalar())

    def release(self) -> None:
        """Give up the lead, e.g. when shutting down, so another replica takes it at once. The lock is
        unlocked explicitly: closing a pooled connection only returns it to the pool, lock and all."""
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                self._connection.commit()
                log.info("scheduler leadership released")
            except DBAPIError:
                self._connection.invalidate()  # the session ends, and PostgreSQL frees the lock with it
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except DBAPIError:
                pass
            self._connection = None
