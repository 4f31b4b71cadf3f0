"""Liveness and readiness, as Kubernetes and Docker health checks ask for them.

`/healthz` answers while the process serves. `/readyz` answers 200 only when this replica can do its
job: the database answers, its schema is this release's, the scheduler runs and some replica leads it
(this one, or another that holds the lock), and Slack answered `auth.test` at start-up. Otherwise 503,
with the failing checks named in a small JSON body.

The body also names, under `unpostable`, each channel Slack takes no posts in until a person acts (the
stakeholder channel, an archived war room; `*`: the bot's own token) with Slack's reason. That does not make
the replica unready: readiness decides whether Slack's requests reach it, and they must, to carry on and to
fix it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Engine

from firehouse.scheduler.board import StatusBoard
from firehouse.store import migrate
from firehouse.store.destinations import WORKSPACE, DestinationStore

log = logging.getLogger(__name__)

OK = "ok"


@dataclass(frozen=True)
class Readiness:
    """Each check's answer: "ok", or what is wrong."""

    checks: dict[str, str]
    unpostable: dict[str, str] = field(default_factory=dict)  # channel → why Slack takes no posts there

    @property
    def ready(self) -> bool:
        return all(answer == OK for answer in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, answer in self.checks.items() if answer != OK]

    def body(self) -> bytes:
        shown: dict = {"status": "ready" if self.ready else "not ready", "checks": self.checks}
        if not self.ready:
            shown["failing"] = self.failing
        if self.unpostable:
            shown["unpostable"] = self.unpostable
        return json.dumps(shown).encode() + b"\n"


class Health:
    """The readiness checks of one Firehouse; each runs on every probe, so it shows the present."""

    def __init__(self, *, engine: Engine, board: StatusBoard, slack: str, stakeholder_channel: str | None = None
                 ) -> None:
        self.engine = engine
        self.board = board
        self.slack = slack  # "ok" once auth.test answered at start-up, else why not
        self.stakeholder_channel = stakeholder_channel
        self.checks: dict[str, Callable[[], str]] = {
            "database": self._database,
            "migrations": self._migrations,
            "scheduler": self._scheduler,
            "slack": lambda: self.slack,
        }

    def readiness(self) -> Readiness:
        checks = {name: _answer(check) for name, check in self.checks.items()}
        return Readiness(checks, self._unpostable() if checks["database"] == OK else {})

    def _unpostable(self) -> dict[str, str]:
        try:
            blocked = DestinationStore(self.engine).blocked()
        except Exception:  # the database check just answered: a blip now is for the next probe
            return {}
        named = {WORKSPACE: " (the bot's token or account: every channel)", self.stakeholder_channel:
                 " (the stakeholder channel: stakeholders hear nothing)"}
        return {channel: f"{row.reason}{named.get(channel, '')}" for channel, row in sorted(blocked.items())}

    def _database(self) -> str:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return OK

    def _migrations(self) -> str:
        revision = migrate.current(self.engine)
        return OK if revision.up_to_date else f"schema at {revision}, this release needs {revision.head}"

    def _scheduler(self) -> str:
        if not self.board.scheduler.running:
            return "not running"
        if self.board.leading or self.board.leadership.leader_exists():
            return OK
        return "no replica leads it"


def _answer(check: Callable[[], str]) -> str:
    """A check's answer; one that raises fails with the error's name (and one log line, no traceback)."""
    try:
        return check()
    except Exception as err:
        log.warning("readiness check failed: %s: %s", err.__class__.__name__, str(err).splitlines()[0][:200]
                    if str(err) else "")
        return f"failed: {err.__class__.__name__}"
