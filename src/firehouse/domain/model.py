"""The incident aggregate: the rules for declaring it, handing over its captain and logging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from firehouse.domain.classes import IncidentClass
from firehouse.domain.events import CaptainHandedOver, IncidentDeclared, Logged
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange

MAX_TITLE = 150  # a Slack header block's limit, so the title always fits whole
MAX_TEXT = 3000  # a Slack section block's limit, so a timeline entry is never cut
MAX_DESCRIPTION = 3000


class Status(StrEnum):
    """Where the incident stands in its lifecycle."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    CONTAINED = "contained"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (Status.RESOLVED, Status.CLOSED)


def check_text(text: str, *, what: str, limit: int) -> str:
    """Strip `text` and refuse it when empty or longer than `limit`."""
    text = text.strip()
    if not text:
        raise InvalidChange(f"The {what} is empty.")
    if len(text) > limit:
        raise InvalidChange(f"The {what} is {len(text):,} characters long; keep it to {limit:,}.")
    return text


@dataclass
class Incident:
    """An AI incident with one fire captain at any time."""

    title: str
    severity: Severity
    class_id: str
    private: bool
    captain: str
    declared_by: str
    declared_at: datetime
    description: str = ""
    status: Status = Status.INVESTIGATING
    channel_id: str | None = None
    channel_name: str | None = None
    id: int | None = None

    @classmethod
    def declare(
        cls,
        *,
        title: str,
        severity: Severity,
        incident_class: IncidentClass,
        by: str,
        at: datetime,
        captain: str | None = None,
        description: str = "",
        proposed: Severity | None = None,
        override_reason: str = "",
    ) -> tuple[Incident, IncidentDeclared]:
        """A new incident led by `captain` (the declarer unless someone else is named).

        `proposed` is the severity the declare questions pointed to; declaring another one needs a reason.
        """
        if proposed and proposed != severity and not override_reason.strip():
            raise InvalidChange(f"Say why this is {severity.label} when the answers point to {proposed.label}.")
        incident = cls(
            title=check_text(title, what="title", limit=MAX_TITLE),
            severity=severity,
            class_id=incident_class.id,
            private=incident_class.private,
            captain=captain or by,
            declared_by=by,
            declared_at=at,
            description=check_text(description, what="description", limit=MAX_DESCRIPTION) if description.strip()
            else "",
        )
        event = IncidentDeclared(
            at=at, by=by, title=incident.title, severity=severity, class_id=incident.class_id,
            captain=incident.captain, proposed=proposed, override_reason=override_reason.strip(),
        )
        return incident, event

    def hand_over(self, *, to: str, by: str, at: datetime) -> CaptainHandedOver:
        """Make `to` the fire captain; there is always exactly one."""
        if to == self.captain:
            raise InvalidChange(f"<@{to}> is already the fire captain.")
        event = CaptainHandedOver(at=at, by=by, previous=self.captain, captain=to)
        self.captain = to
        return event

    def log(self, *, text: str, by: str, at: datetime, kind: str = "log") -> Logged:
        """A responder's note for the timeline."""
        return Logged(at=at, by=by, text=check_text(text, what="timeline entry", limit=MAX_TEXT), kind=kind)
