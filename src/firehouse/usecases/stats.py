"""The numbers of the incidents declared in a window, read from the store in four queries however many
incidents there are: the incidents, their first status updates, when their regulatory reports were sent, and
which of their firebreaks a watched signal verified.
The arithmetic and what each figure means are in `domain/stats.py`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from firehouse.config import Settings
from firehouse.domain.board import FIRST_HOUR
from firehouse.domain.stats import Numbers, Record, numbers
from firehouse.store import UnitOfWork

UPDATE = "update"  # the timeline kind of a status update


class Stats:
    """Reads the numbers; never writes. Needs only the store and the settings, so the CLI uses it too."""

    def __init__(self, *, engine: Engine, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    @property
    def notice_within(self) -> timedelta:
        """How soon after the first signal a customer notice counts as on time: the first hour's last checkpoint."""
        return (self.settings.board.first_hour or FIRST_HOUR)[-1]

    def last(self, window: timedelta) -> Numbers:
        """The incidents declared within `window` before now."""
        now = self.clock()
        return self.between(since=now - window, until=now)

    def between(self, *, since: datetime | None, until: datetime | None = None) -> Numbers:
        """The incidents declared from `since` (from the first one when None) until before `until` (now when None,
        and never later than now)."""
        now = self.clock()
        until = now if until is None or until > now else until
        with UnitOfWork(self.engine) as uow:
            incidents = uow.incidents.declared_between(since, until)
            first_updates = uow.incidents.first_entries(UPDATE, since=since, until=until)
            reports = uow.incidents.reports_sent(since=since, until=until)
            containments = uow.incidents.containments(since=since, until=until)
        if since is None:
            since = incidents[0].declared_at if incidents else until
        records = [Record(incident, first_updates.get(incident.id), reports.get(incident.id, {}),
                          containments.get(incident.id, ())) for incident in incidents]
        return numbers(records, since=since, until=until, now=now, regimes=self.settings.regimes,
                       notice_within=self.notice_within, classes=tuple(self.settings.catalog.classes))
