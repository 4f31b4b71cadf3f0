"""The status page: what the public is told, and only that.

An approved product notice is published as a status update: its public title (the notice's first heading) and
its text exactly as approved, the public status taken from the incident's, the impact from its severity, and the
state of the component its class maps to. What is public is built from published updates alone, never from the
incident itself: the war room's title, the timeline and people never reach it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from firehouse.domain.events import TimelineEntry
from firehouse.domain.lifecycle import Status
from firehouse.domain.severity import Severity


class PublicStatus(StrEnum):
    """Statuspage's incident statuses."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Publishing(StrEnum):
    """Where a status update stands: sent to every status page (`published`), on its way, or refused."""

    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"


IMPACTS = ("none", "minor", "major", "critical")  # Statuspage's impact, and the page's overall indicator
IMPACT = {Severity.SEV1: "critical", Severity.SEV2: "major", Severity.SEV3: "minor"}
COMPONENT_STATES = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")
DEFAULT_STATES = {"sev1": "major_outage", "sev2": "partial_outage", "sev3": "degraded_performance"}
OPERATIONAL = "operational"
INDICATOR_WORDS = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                   "major": "Partial System Outage", "critical": "Major System Outage"}


def public_status(status: Status) -> PublicStatus:
    """The incident's status as the public reads it: contained is identified, closed is resolved."""
    return {
        Status.INVESTIGATING: PublicStatus.INVESTIGATING,
        Status.IDENTIFIED: PublicStatus.IDENTIFIED,
        Status.CONTAINED: PublicStatus.IDENTIFIED,
        Status.MONITORING: PublicStatus.MONITORING,
    }.get(status, PublicStatus.RESOLVED)


def worst(states: Iterable[str]) -> str:
    """The worst component state of `states` (operational when there are none)."""
    return max(states, key=COMPONENT_STATES.index, default=OPERATIONAL)


def split_notice(text: str, *, fallback: str) -> tuple[str, str]:
    """(public title, body) of an approved notice: the first Markdown heading is the title, the rest is published
    exactly as approved. A notice with no heading is published whole, under `fallback`."""
    lines = text.strip().split("\n")
    first = lines[0].strip()
    if first.startswith("#"):
        title = first.lstrip("#").strip()
        if title:
            return title, "\n".join(lines[1:]).strip()
    return fallback, text.strip()


def fingerprint(title: str, body: str) -> str:
    """The SHA-256, in UTF-8, of the title, a blank line and the body: how anyone checks that what a status page
    shows is what was stored."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def public_id(incident_id: int, channel: str, declared_at: datetime) -> str:
    """The incident's id on Firehouse's own page: the same for all its updates, however many are published at once,
    and telling the public nothing (not its number, nor how many incidents there were)."""
    return hashlib.sha256(f"{incident_id}:{channel}:{declared_at.isoformat()}".encode()).hexdigest()[:12]


@dataclass
class StatusUpdate:
    """One update published (or being published) to the status pages, as it was sent."""

    incident_id: int
    notice_id: int
    public_id: str  # the incident's id on Firehouse's own page: the same for all its updates, and opaque
    title: str
    body: str
    fingerprint: str
    status: PublicStatus
    impact: str
    class_id: str
    component_state: str  # the state of the class's component after this update (operational once resolved)
    requested_by: str
    requested_at: datetime
    state: Publishing = Publishing.PUBLISHING
    said: str = ""  # the status page's answer, in one line
    published_at: datetime | None = None
    statuspage_id: str | None = None  # Atlassian's incident id and link, once it answered
    statuspage_link: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class StatusPublished:
    """A product notice on its way to the status page, published, refused, or (in a drill) only shown.

    `what`: publishing (Statuspage was asked), published, retrying (Statuspage did not answer; said once), refused
    (for good: nothing was published), previewed (a drill: what would have gone out) or owed (the incident was
    resolved while the page shows it open: the resolved notice is drafted for the captain)."""

    at: datetime
    by: str
    what: str
    notice_id: int
    status: PublicStatus
    title: str  # the public title
    said: str = ""
    link: str | None = None
    reference: str | None = None  # Statuspage's incident id
    fingerprint: str = ""

    @property
    def where(self) -> str:
        """Statuspage's incident and the link, as far as they are known."""
        incident = f" as Statuspage incident {self.reference}" if self.reference else ""
        return incident + (f": {self.link}" if self.link else "")

    def timeline_entry(self) -> TimelineEntry:
        texts = {
            "publishing": f"Product notice #{self.notice_id} sent to the status page ({self.status})",
            "published": f"Product notice #{self.notice_id} published to the status page ({self.status}),"
                         f" sha256 {self.fingerprint[:16]}{self.where}",
            "retrying": f"The status page did not take product notice #{self.notice_id} yet: {self.said}; retrying",
            "refused": f"Product notice #{self.notice_id} was NOT published: {self.said}",
            "previewed": f"A drill: product notice #{self.notice_id} would have been published ({self.status});"
                         " nothing was",
            "owed": f"The status page still shows the incident open: product notice #{self.notice_id} drafted to"
                    " resolve it there",
        }
        return TimelineEntry(self.at, self.by, "notice", texts[self.what])


@dataclass(frozen=True)
class PublicUpdate:
    """One published update, as the public page shows it."""

    id: str
    status: PublicStatus
    body: str
    at: datetime
    component_state: str


@dataclass(frozen=True)
class PublicIncident:
    """A status-page incident: its public title and updates (newest first), never more."""

    id: str
    name: str
    status: PublicStatus
    impact: str
    class_id: str
    component_state: str
    created_at: datetime
    updated_at: datetime
    updates: tuple[PublicUpdate, ...]
    monitoring_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status is not PublicStatus.RESOLVED


@dataclass(frozen=True)
class Component:
    """A component of the public page: the class it stands for, its public name, and its state now."""

    key: str
    name: str
    state: str
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PublicPage:
    """Everything the public page shows, built once per change."""

    name: str
    url: str
    components: tuple[Component, ...]
    incidents: tuple[PublicIncident, ...]  # newest first: every open one, and those resolved within the window
    updated_at: datetime
    built_at: datetime
    id: str = field(default="firehouse")

    @property
    def indicator(self) -> str:
        """none, minor, major or critical: the worst impact among open incidents."""
        return max((i.impact for i in self.incidents if i.open), key=IMPACTS.index, default="none")

    @property
    def unresolved(self) -> tuple[PublicIncident, ...]:
        return tuple(i for i in self.incidents if i.open)


def public_incidents(updates: Iterable[StatusUpdate]) -> list[PublicIncident]:
    """The published updates grouped into incidents, newest first; updates not (yet) published are left out."""
    grouped: dict[str, list[StatusUpdate]] = {}
    for update in updates:
        if update.state is Publishing.PUBLISHED and update.published_at:
            grouped.setdefault(update.public_id, []).append(update)
    incidents = []
    for public_id, group in grouped.items():
        group.sort(key=lambda u: (u.published_at, u.id or 0))
        first, last = group[0], group[-1]
        monitoring = next((u.published_at for u in group if u.status is PublicStatus.MONITORING), None)
        incidents.append(PublicIncident(
            id=public_id, name=last.title, status=last.status,
            impact=last.impact, class_id=last.class_id,
            component_state=last.component_state, created_at=first.published_at, updated_at=last.published_at,
            updates=tuple(PublicUpdate(id=f"{public_id}-{n}", status=u.status, body=u.body, at=u.published_at,
                                       component_state=u.component_state)
                          for n, u in reversed(list(enumerate(group, start=1)))),
            monitoring_at=monitoring,
            resolved_at=last.published_at if last.status is PublicStatus.RESOLVED else None))
    incidents.sort(key=lambda i: i.updated_at, reverse=True)
    return incidents


def components(named: Mapping[str, str], incidents: Iterable[PublicIncident]) -> tuple[Component, ...]:
    """Each configured component (class → public name) with the worst state of the open incidents of its class."""
    incidents = list(incidents)
    shown = []
    for key, name in named.items():
        mine = [i for i in incidents if i.class_id == key]
        state = worst(i.component_state for i in mine if i.open)
        shown.append(Component(key=key, name=name, state=state,
                               updated_at=max((i.updated_at for i in mine), default=None)))
    return tuple(shown)
