"""The scheduler leader's PostgreSQL advisory lock, held for as long as the connection that took it lives."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

LOCK_KEY = 0x46495245  # "FIRE": the advisory lock every Firehouse replica asks for


class LeaderLock:
    """One connection that holds the leader's lock, or none. Each statement commits at once, so the connection
    never idles in an open transaction; a lost connection raises `DBAPIError` to the caller."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def renew(self) -> None:
        """Prove the connection still lives, and with it the lock."""
        self._connection.execute(text("SELECT 1"))
        self._connection.commit()

    def take(self) -> bool:
        """Try for the lock on a new connection, kept while it holds the lock; False when another replica has it."""
        connection = self._engine.connect()
        if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
            connection.commit()
            self._connection = connection
            return True
        connection.close()
        return False

    def taken(self) -> bool:
        """Whether any replica holds the lock, by PostgreSQL's lock table."""
        with self._engine.connect() as connection:
            return bool(connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0"
                " AND objid::bigint = :key AND objsubid = 1"), {"key": LOCK_KEY}).scalar())

    def release(self) -> bool:
        """Unlock and let the connection go; True when it was unlocked. The lock is unlocked explicitly: closing a
        pooled connection only returns it to the pool, lock and all."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            self._connection.commit()
            released = True
        except DBAPIError:
            self._connection.invalidate()  # the session ends, and PostgreSQL frees the lock with it
            released = False
        self.drop()
        return released

    def drop(self) -> None:
        """Let the connection go without a word to the server: after it failed."""
        if self._connection is not None:
            try:
                self._connection.close()
            except DBAPIError:
                pass
            self._connection = None
