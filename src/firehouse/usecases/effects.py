"""The messages use cases and the scheduler owe Slack, as data. The outbound side renders them.

Each is recorded in the outbox in the same transaction as the decision that owes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from firehouse.domain.afteraction import FollowUp
from firehouse.domain.alerts import Alert
from firehouse.domain.clocks import Deadline
from firehouse.domain.drills import DrillRun
from firehouse.domain.events import UpdatePosted
from firehouse.domain.firebreaks import Firebreak
from firehouse.domain.model import Incident


@dataclass(frozen=True)
class Prompt:
    """Ask the captain for the update stakeholders are owed at `due`."""

    incident_id: int
    captain: str
    due: datetime
    snooze_minutes: int


@dataclass(frozen=True)
class Reminder:
    """No update came by `due`: remind the captain, and after too many misses pull in `escalate_to`."""

    incident_id: int
    captain: str
    due: datetime
    next_due: datetime
    missed: int
    escalate_to: tuple[str, ...]
    snooze_minutes: int


@dataclass(frozen=True)
class StatusUpdate:
    """The rendered `internal/update` template: an update, or (with `update` None) "no new information"."""

    incident: Incident
    update: UpdatePosted | None
    next_due: datetime | None
    at: datetime
    firebreaks: tuple[Firebreak, ...] = ()
    for_stakeholders: bool = True
    signals: tuple[str, ...] = ()  # one line per watched signal against its baseline


@dataclass(frozen=True)
class Checklist:
    """The first-hour items still open `elapsed` after the declaration."""

    captain: str
    elapsed: str
    items: Sequence[str]


@dataclass(frozen=True)
class DeadlineReminder:
    """A regulatory window is `point` gone; the legal role holder (else the captain) is told."""

    deadline: Deadline
    point: float
    legal: str | None
    captain: str


@dataclass(frozen=True)
class FollowUpReminder:
    """A follow-up action is `days` overdue: its owner hears, at most once a day."""

    action: FollowUp
    incident: Incident
    days: int


@dataclass(frozen=True)
class LockNudge:
    """A resolved incident is not locked yet: the captain hears what is missing, once a day."""

    incident: Incident
    missing: tuple[str, ...]


@dataclass(frozen=True)
class DrillReport:
    """A drill's readiness report, for its war room; `previous` is the run of the same scenario before it."""

    run: DrillRun
    previous: DrillRun | None


@dataclass(frozen=True)
class DrillInject:
    """What the world says into a drill: its alarm at the start (`offset` zero), then each inject on time."""

    offset: timedelta
    text: str
    alarm: bool = False


@dataclass(frozen=True)
class AlertPost:
    """Alerts reached a war room: they `opened` it, `joined` it (new alerts, or a storm's next group), or `resolved`."""

    source: str
    kind: str
    alerts: tuple[Alert, ...]
    group_key: str = ""
    rule: int | None = None  # the label rule that triaged a new investigation (1-based); None: the defaults


@dataclass(frozen=True)
class SignalNote:
    """What the watched signals say in the war room: firebreaks `verified`, or every signal `settled` within its
    baseline in monitoring (the captain is told, with a suggestion to resolve)."""

    kind: str
    lines: tuple[str, ...]
    captain: str | None = None


@dataclass(frozen=True)
class RoomLostNote:
    """Tell one person who can act (the captain, an admin), by direct message, that Slack takes no posts in the
    war room `channel` of `incident`; an archived one comes with "Open a new war room"."""

    incident: Incident
    channel: str
    reason: str
    by: str  # who archived it, or Firehouse


@dataclass(frozen=True)
class StakeholdersLostNote:
    """Tell a war room (and, by direct message, the admins) that the stakeholder channel takes no posts."""

    channel: str
    reason: str


Effect = (Prompt | Reminder | StatusUpdate | Checklist | DeadlineReminder | FollowUpReminder | LockNudge
          | DrillInject | DrillReport | AlertPost | SignalNote | RoomLostNote | StakeholdersLostNote)
