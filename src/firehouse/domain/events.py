"""What happened to an incident. Each event knows the timeline entry it leaves behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from firehouse.domain.severity import Severity


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the append-only timeline: when, who, what kind, what."""

    at: datetime
    author: str
    kind: str
    text: str


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
class Logged:
    """A responder wrote a line into the timeline."""

    at: datetime
    by: str
    text: str
    kind: str = "log"

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, self.kind, self.text)


Event = IncidentDeclared | CaptainHandedOver | Logged
