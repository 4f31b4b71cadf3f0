"""Pages: one per incident and pager, triggered once, resolved with the incident, acknowledged by a person.

A page's `dedup_key` is made once, when the page is, and never changes: a retry, a restart, a second replica or
a reopened incident triggers with the same key, so the pager's own deduplication keeps it to one page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from firehouse.domain.events import TimelineEntry
from firehouse.domain.times import hhmm


class PageState(StrEnum):
    PAGING = "paging"  # owed to the pager, not taken yet (waiting, or being retried)
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    FAILED = "failed"  # the pager refused it: not retried
    SHOWN = "shown"  # a drill's: what would have been paged


@dataclass
class Page:
    """One pager paged for one incident."""

    incident_id: int
    pager: str
    dedup_key: str
    paged_by: str  # a person, or the routing rule that paged
    paged_at: datetime
    state: PageState = PageState.PAGING
    message: str = ""
    acknowledged_by: str | None = None  # the name the pager gave (PagerDuty's agent), not a Slack user
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    said: str = ""  # the pager's last answer, or why it failed
    id: int | None = None

    @classmethod
    def new(cls, *, incident_id: int, pager: str, by: str, at: datetime, message: str = "",
            drill: bool = False) -> Page:
        return cls(incident_id=incident_id, pager=pager, dedup_key=dedup_key(incident_id, pager), paged_by=by,
                   paged_at=at, message=message, state=PageState.SHOWN if drill else PageState.PAGING)

    @property
    def open(self) -> bool:
        """Triggered or owed, and not resolved, failed or only shown."""
        return self.state in (PageState.PAGING, PageState.TRIGGERED, PageState.ACKNOWLEDGED)

    def line(self) -> str:
        """One line of `/incident pages`."""
        text = f"*{self.pager}*: {self.state}"
        if self.acknowledged_by and self.state in (PageState.ACKNOWLEDGED, PageState.RESOLVED):
            text += f" by {self.acknowledged_by} at {hhmm(self.acknowledged_at)}" if self.acknowledged_at else ""
        text += f" · paged {hhmm(self.paged_at)} by {_who(self.paged_by)}"
        if self.said and self.state in (PageState.FAILED, PageState.PAGING):
            text += f" · {self.said}"
        return text


def dedup_key(incident_id: int, pager: str) -> str:
    """Stable for the page's life, and unique beyond this database (another deployment may share the service)."""
    return f"firehouse-{incident_id}-{pager}-{secrets.token_hex(6)}"


def _who(by: str) -> str:
    return by if by.startswith("routing ") else f"<@{by}>"


@dataclass(frozen=True)
class PageRequest:
    """What is sent to a pager: trigger a page, resolve it, or (PagerDuty's change events) record a change."""

    action: str  # trigger, resolve, change
    pager: str
    dedup_key: str
    incident_id: int
    title: str  # the incident's title; a private incident's is left out by whoever builds the request
    severity: str  # sev1, sev2, sev3
    class_id: str
    captain: str
    link: str  # the war room
    at: datetime
    started_at: datetime  # when the page was made: Alertmanager's startsAt
    message: str = ""
    drill: bool = False
    details: dict = field(default_factory=dict)

    @property
    def summary(self) -> str:
        drill = "[DRILL] " if self.drill else ""
        text = f"{drill}Incident {self.incident_id} ({self.severity.upper()} {self.class_id}): {self.title}"
        return f"{text}: {self.message}" if self.message else text

    def to_json(self) -> dict:
        return {"action": self.action, "pager": self.pager, "dedup_key": self.dedup_key,
                "incident_id": self.incident_id, "title": self.title, "severity": self.severity,
                "class_id": self.class_id, "captain": self.captain, "link": self.link, "at": self.at.isoformat(),
                "started_at": self.started_at.isoformat(), "message": self.message, "drill": self.drill,
                "details": self.details}

    @classmethod
    def from_json(cls, data: dict) -> PageRequest:
        return cls(**{**data, "at": datetime.fromisoformat(data["at"]),
                      "started_at": datetime.fromisoformat(data["started_at"])})


# --- events -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequested:
    """A person paged with `/incident page`, or a pager is paged again as the incident reopens (a routing rule's
    page is on the timeline as the rule's)."""

    at: datetime
    by: str
    pager: str
    message: str = ""
    again: bool = False
    drill: bool = False

    def timeline_entry(self) -> TimelineEntry:
        verb = "Paging again" if self.again else ("Would page" if self.drill else "Paging")
        text = f"{verb} {self.pager}" + (f": {self.message}" if self.message else "")
        if self.drill:
            text += " (a drill: nobody was paged)"
        return TimelineEntry(self.at, self.by, "page", text)


@dataclass(frozen=True)
class PageAnswered:
    """The pager answered a trigger or a resolve: `outcome` is sent, retrying (said once) or failed."""

    at: datetime
    by: str
    pager: str
    action: str  # trigger, resolve
    outcome: str  # sent, retrying, failed
    said: str

    def timeline_entry(self) -> TimelineEntry:
        if self.outcome == "sent":
            text = f"Paged {self.pager}: {self.said}" if self.action == "trigger" else \
                f"Page to {self.pager} resolved: {self.said}"
        elif self.outcome == "retrying":
            text = f"Paging {self.pager}: {self.said}, retrying"
        elif self.action == "resolve":
            text = f"Resolving the page to {self.pager} FAILED: {self.said}"
        else:
            text = f"Paging {self.pager} FAILED: {self.said}"
        return TimelineEntry(self.at, self.by, "page", text)


@dataclass(frozen=True)
class PageAcknowledged:
    """Someone took the page in the pager (`state` acknowledged), or the pager resolved it or took it back."""

    at: datetime
    by: str
    pager: str
    state: str  # acknowledged, resolved, triggered (unacknowledged again)
    who: str  # the pager's name for the person
    moment: datetime

    def timeline_entry(self) -> TimelineEntry:
        verb = {"acknowledged": "acknowledged", "resolved": "resolved in the pager",
                "triggered": "unacknowledged"}[self.state]
        return TimelineEntry(self.at, self.by, "page",
                             f"Paged {self.pager}: {verb} by {self.who} at {hhmm(self.moment)}")
