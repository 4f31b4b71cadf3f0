"""Incidents, their timelines and the Slack events already handled; and the numbers counted over them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from firehouse.domain.events import Event, TimelineEntry
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import NoticeStatus
from firehouse.domain.verification import Verdict
from firehouse.store.mapping import RowMap, as_utc
from firehouse.store.tables import (
    FirebreakRow,
    IncidentRow,
    NoticeRow,
    ProcessedEvent,
    TimelineEntryRow,
    VerificationRow,
)

OPEN_STATUSES = [s.value for s in Status if s.is_open]

INCIDENT = RowMap(Incident, IncidentRow)
ENTRY = RowMap(TimelineEntry, TimelineEntryRow, given=("incident_id",))


class IncidentRepository:
    """Incidents and timelines inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, incident: Incident, events: Iterable[Event]) -> Incident:
        """Store a new incident with the timeline entries of its events; sets `incident.id`."""
        INCIDENT.add(self._session, incident)
        self.record(incident, events)
        return incident

    def save(self, incident: Incident, events: Iterable[Event]) -> None:
        """Write back a changed incident and append its events to the timeline."""
        INCIDENT.save(self._session, incident)
        self.record(incident, events)

    def record(self, incident: Incident, events: Iterable[Event]) -> None:
        """Append the timeline entries of `events`."""
        self._session.add_all(ENTRY.row(event.timeline_entry(), incident_id=incident.id) for event in events)

    def get(self, incident_id: int) -> Incident | None:
        row = self._session.get(IncidentRow, incident_id)
        return INCIDENT.load(row) if row else None

    def by_channel(self, channel_id: str) -> Incident | None:
        row = self._session.exec(select(IncidentRow).where(IncidentRow.channel_id == channel_id)).first()
        return INCIDENT.load(row) if row else None

    def open_incidents(self) -> list[Incident]:
        """Open incidents, most severe first, then oldest first."""
        return self._incidents(select(IncidentRow).where(col(IncidentRow.status).in_(OPEN_STATUSES))
                               .order_by(col(IncidentRow.severity), col(IncidentRow.declared_at), col(IncidentRow.id)))

    def declared_since(self, moment: datetime) -> list[Incident]:
        """Incidents declared since `moment` that are not closed: the ones the scheduler may still owe."""
        return self._incidents(select(IncidentRow)
                               .where(col(IncidentRow.declared_at) >= moment, IncidentRow.status != Status.CLOSED.value)
                               .order_by(col(IncidentRow.id)))

    def resolved_unlocked(self) -> list[Incident]:
        """Resolved incidents not yet closed, oldest first: the ones whose lesson is not locked in."""
        return self._incidents(select(IncidentRow).where(IncidentRow.status == Status.RESOLVED.value)
                               .order_by(col(IncidentRow.resolved_at), col(IncidentRow.id)))

    def timeline(self, incident_id: int) -> list[TimelineEntry]:
        """Every entry, oldest first."""
        rows = self._session.exec(select(TimelineEntryRow).where(TimelineEntryRow.incident_id == incident_id)
                                  .order_by(col(TimelineEntryRow.at), col(TimelineEntryRow.id)))
        return [ENTRY.load(row) for row in rows]

    def delivered_before(self, event_id: str) -> bool:
        """Whether this event id was remembered already (read only)."""
        return self._session.get(ProcessedEvent, event_id) is not None

    def first_delivery(self, event_id: str, *, at: datetime) -> bool:
        """Remember a Slack event id; False when it was seen before (a retry)."""
        try:
            with self._session.begin_nested():
                self._session.add(ProcessedEvent(event_id=event_id, received_at=at))
        except IntegrityError:
            return False
        return True

    # --- the numbers ---------------------------------------------------------------------------------

    def declared_between(self, since: datetime | None, until: datetime) -> list[Incident]:
        """Incidents declared from `since` (from the first one when None) until before `until`, drills left out,
        oldest first."""
        return self._incidents(select(IncidentRow).where(*_declared_between(since, until))
                               .order_by(col(IncidentRow.declared_at), col(IncidentRow.id)))

    def first_entries(self, kind: str, *, since: datetime | None, until: datetime) -> dict[int, datetime]:
        """The moment of the first timeline entry of `kind` of each incident `declared_between` those times, by
        incident id (those with none are left out): one query, however many incidents."""
        rows = self._session.exec(
            select(TimelineEntryRow.incident_id, func.min(TimelineEntryRow.at))
            .join(IncidentRow, col(IncidentRow.id) == col(TimelineEntryRow.incident_id))
            .where(TimelineEntryRow.kind == kind, *_declared_between(since, until))
            .group_by(col(TimelineEntryRow.incident_id)))
        return {incident_id: as_utc(at) for incident_id, at in rows}

    def reports_sent(self, *, since: datetime | None, until: datetime) -> dict[int, dict[str, datetime]]:
        """When each regulatory report of the incidents `declared_between` those times was first marked sent: a
        legal notice with a regime and a stage, by incident id and deadline key (`<regime>:<stage>`). One query."""
        rows = self._session.exec(
            select(NoticeRow.incident_id, NoticeRow.regime, NoticeRow.stage, func.min(NoticeRow.sent_at))
            .join(IncidentRow, col(IncidentRow.id) == col(NoticeRow.incident_id))
            .where(NoticeRow.lane == "legal", NoticeRow.status == NoticeStatus.SENT.value,
                   col(NoticeRow.regime).is_not(None), col(NoticeRow.stage).is_not(None),
                   col(NoticeRow.sent_at).is_not(None), *_declared_between(since, until))
            .group_by(col(NoticeRow.incident_id), col(NoticeRow.regime), col(NoticeRow.stage)))
        sent: dict[int, dict[str, datetime]] = {}
        for incident_id, regime, stage, at in rows:
            sent.setdefault(incident_id, {})[f"{regime}:{stage}"] = as_utc(at)
        return sent

    def containments(self, *, since: datetime | None, until: datetime) -> dict[int, tuple[bool, ...]]:
        """For each firebreak that took effect in the incidents `declared_between` those times, whether a
        verification found it worked (back within baseline), by incident id, oldest firebreak first. One query."""
        worked = and_(col(VerificationRow.firebreak_id) == col(FirebreakRow.id),
                      VerificationRow.verdict == Verdict.WORKED.value)
        rows = self._session.exec(
            select(FirebreakRow.incident_id, FirebreakRow.id, func.count(col(VerificationRow.id)))
            .join(IncidentRow, col(IncidentRow.id) == col(FirebreakRow.incident_id))
            .outerjoin(VerificationRow, worked)
            .where(col(FirebreakRow.executed_at).is_not(None), *_declared_between(since, until))
            .group_by(col(FirebreakRow.incident_id), col(FirebreakRow.id))
            .order_by(col(FirebreakRow.id)))
        found: dict[int, tuple[bool, ...]] = {}
        for incident_id, _, verified in rows:
            found[incident_id] = (*found.get(incident_id, ()), verified > 0)
        return found

    def _incidents(self, query) -> list[Incident]:
        return [INCIDENT.load(row) for row in self._session.exec(query)]


def _declared_between(since: datetime | None, until: datetime) -> list:
    """The conditions on `incident` of the numbers: declared in [since, until), and not a drill."""
    conditions = [col(IncidentRow.drill).is_(False), col(IncidentRow.declared_at) < until]
    if since is not None:
        conditions.append(col(IncidentRow.declared_at) >= since)
    return conditions
