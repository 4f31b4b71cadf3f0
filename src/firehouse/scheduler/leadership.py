"""One scheduler for many replicas: the replica holding a PostgreSQL advisory lock leads.

Several `firehouse serve` replicas may answer Slack over HTTP against one PostgreSQL database, but only
one may run the status board's jobs, or every prompt would go out once per replica. The lock lives as
long as the leader's connection (`store/leadership.py`): when the leader dies, PostgreSQL frees it and
another replica takes over. SQLite serves one process, which always leads.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from firehouse.store.leadership import LeaderLock

log = logging.getLogger(__name__)


class Leadership:
    """Whether this process leads the scheduler; `held()` tries to become leader when it is not."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"
        self._lock = LeaderLock(engine)

    def held(self) -> bool:
        if not self.shared:
            return True
        try:
            if self._lock.held:
                self._lock.renew()  # still connected, so still holding the lock
                return True
            if self._lock.take():
                log.info("this replica now leads the scheduler")
                return True
        except DBAPIError as err:
            log.warning("scheduler leadership lost: %s", err.__class__.__name__)
            self._lock.drop()
        return False

    def leader_exists(self) -> bool:
        """Whether some replica leads: this one, or another that holds the lock."""
        if not self.shared or self._lock.held:
            return True
        return self._lock.taken()

    def release(self) -> None:
        """Give up the lead, e.g. when shutting down, so another replica takes it at once."""
        if self._lock.release():
            log.info("scheduler leadership released")
