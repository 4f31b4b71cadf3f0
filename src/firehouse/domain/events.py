"""What happened to an incident. Each event knows the timeline entry it leaves behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from firehouse.domain.lifecycle import Status
from firehouse.domain.severity import Severity
from firehouse.domain.times import hhmm, stamp

FIREHOUSE = "firehouse"  # the author of what the bot itself does, on the timeline


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the append-only timeline: when, who, what kind, what."""

    at: datetime
    author: str
    kind: str
    text: str


def _because(reason: str) -> str:
    return f": {reason}" if reason else ""


@dataclass(frozen=True)
class IncidentDeclared:
    """An incident was declared and a fire captain named."""

    at: datetime
    by: str
    title: str
    severity: Severity
    class_id: str
    captain: str
    proposed: Severity | None = None
    override_reason: str = ""

    def timeline_entry(self) -> TimelineEntry:
        text = f"Declared {self.severity.label} {self.class_id} incident"
        if self.captain != self.by:
            text += f"; fire captain <@{self.captain}>"
        if self.proposed and self.proposed != self.severity:
            text += f"; {self.severity.label} over the proposed {self.proposed.label}: {self.override_reason}"
        return TimelineEntry(self.at, self.by, "declared", text)


@dataclass(frozen=True)
class CaptainHandedOver:
    """The fire captain role moved from one person to another."""

    at: datetime
    by: str
    previous: str
    captain: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(
            self.at, self.by, "captain", f"Fire captain handed over from <@{self.previous}> to <@{self.captain}>"
        )


@dataclass(frozen=True)
class CaptainConfirmed:
    """The provisional fire captain (named by an alert rule, or a drill's facilitator) took the role."""

    at: datetime
    by: str
    captain: str

    def timeline_entry(self) -> TimelineEntry:
        text = f"<@{self.captain}> took the fire captain role"
        return TimelineEntry(self.at, self.by, "captain", text if self.by == self.captain
                             else f"{text} (named by <@{self.by}>)")


@dataclass(frozen=True)
class Logged:
    """A responder wrote a line into the timeline."""

    at: datetime
    by: str
    text: str
    kind: str = "log"

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, self.kind, self.text)


@dataclass(frozen=True)
class SeverityChanged:
    at: datetime
    by: str
    previous: Severity
    severity: Severity
    reason: str

    @property
    def escalated(self) -> bool:
        return self.severity < self.previous

    def timeline_entry(self) -> TimelineEntry:
        verb = "Escalated" if self.escalated else "De-escalated"
        text = f"{verb} from {self.previous.label} to {self.severity.label}{_because(self.reason)}"
        return TimelineEntry(self.at, self.by, "severity", text)


@dataclass(frozen=True)
class ClassChanged:
    at: datetime
    by: str
    previous: str
    class_id: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "class", f"Class changed from {self.previous} to {self.class_id}")


@dataclass(frozen=True)
class CauseChanged:
    at: datetime
    by: str
    previous: str | None
    cause: str

    def timeline_entry(self) -> TimelineEntry:
        was = f" (was {self.previous})" if self.previous else ""
        return TimelineEntry(self.at, self.by, "cause", f"Suspected cause set to {self.cause}{was}")


@dataclass(frozen=True)
class RoleAssigned:
    at: datetime
    by: str
    role: str
    holder: str
    previous: str | None

    def timeline_entry(self) -> TimelineEntry:
        was = f", taking over from <@{self.previous}>" if self.previous else ""
        return TimelineEntry(self.at, self.by, "role", f"<@{self.holder}> is {self.role}{was}")


@dataclass(frozen=True)
class StatusChanged:
    at: datetime
    by: str
    previous: Status
    status: Status
    summary: str = ""
    waiver: str = ""

    @property
    def reopened(self) -> bool:
        return self.previous is Status.RESOLVED and self.status is Status.INVESTIGATING

    def timeline_entry(self) -> TimelineEntry:
        if self.reopened:
            text = "Reopened: back to investigating"
        else:
            text = f"Status changed from {self.previous} to {self.status}"
        if self.summary:
            text += f". Summary: {self.summary}"
        if self.waiver:
            text += f". Customer notice waived: {self.waiver}"
        return TimelineEntry(self.at, self.by, "status", text)


@dataclass(frozen=True)
class MomentSet:
    """A recorded moment (detected, aware) was set by hand."""

    at: datetime
    by: str
    name: str
    moment: datetime

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "times", f"{self.name.capitalize()} at {stamp(self.moment)}")


@dataclass(frozen=True)
class UpdatePosted:
    """The captain (or anyone) posted a status update; stakeholders get it with the next update time."""

    at: datetime
    by: str
    text: str
    next_due: datetime | None

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "update", self.text)


@dataclass(frozen=True)
class UpdateMissed:
    """An update was due and none came: stakeholders were told so."""

    at: datetime
    by: str
    due: datetime
    missed: int
    next_due: datetime

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "board",
                             f"No update by {hhmm(self.due)} ({self.missed} in a row); stakeholders told"
                             f" there is no new information, next update at {hhmm(self.next_due)}")


@dataclass(frozen=True)
class FactRecorded:
    at: datetime
    by: str
    key: str
    value: str

    def timeline_entry(self) -> TimelineEntry:
        text = f"Fact {self.key} = {self.value}" if self.value else f"Fact {self.key} cleared"
        return TimelineEntry(self.at, self.by, "fact", text)


@dataclass(frozen=True)
class DecidedNotReportable:
    at: datetime
    by: str
    regime: str
    reason: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "clock", f"Not reportable under {self.regime}: {self.reason}")


@dataclass(frozen=True)
class DeadlineReminded:
    """The legal role holder was reminded of a regulatory deadline."""

    at: datetime
    by: str
    key: str
    point: float
    due: datetime

    def timeline_entry(self) -> TimelineEntry:
        where = "expired" if self.point >= 1 else f"{self.point:.0%} of the window gone"
        return TimelineEntry(self.at, self.by, "clock",
                             f"Reminder: {self.key} due {stamp(self.due)} ({where})")


Event = (
    IncidentDeclared | CaptainHandedOver | CaptainConfirmed | Logged | SeverityChanged | ClassChanged | CauseChanged
    | RoleAssigned | StatusChanged | MomentSet | UpdatePosted | UpdateMissed | FactRecorded | DecidedNotReportable
    | DeadlineReminded
)
