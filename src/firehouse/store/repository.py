"""Loads and saves incidents and their timelines, mapping rows to domain objects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from firehouse.domain.events import Event, TimelineEntry
from firehouse.domain.model import Incident, Status
from firehouse.domain.severity import Severity
from firehouse.store.tables import IncidentRow, ProcessedEvent, TimelineEntryRow

OPEN_STATUSES = [s.value for s in Status if s.is_open]


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class IncidentRepository:
    """Incidents and timelines inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, incident: Incident, events: Iterable[Event]) -> Incident:
        """Store a new incident with the timeline entries of its events; sets `incident.id`."""
        row = IncidentRow(**_row_fields(incident))
        self._session.add(row)
        self._session.flush()
        incident.id = row.id
        self.record(incident, events)
        return incident

    def save(self, incident: Incident, events: Iterable[Event]) -> None:
        """Write back a changed incident and append its events to the timeline."""
        row = self._session.get(IncidentRow, incident.id)
        for name, value in _row_fields(incident).items():
            setattr(row, name, value)
        self.record(incident, events)

    def record(self, incident: Incident, events: Iterable[Event]) -> None:
        """Append the timeline entries of `events`."""
        for event in events:
            entry = event.timeline_entry()
            self._session.add(
                TimelineEntryRow(incident_id=incident.id, at=entry.at, author=entry.author, kind=entry.kind,
                                 text=entry.text)
            )

    def by_channel(self, channel_id: str) -> Incident | None:
        row = self._session.exec(select(IncidentRow).where(IncidentRow.channel_id == channel_id)).first()
        return _to_incident(row) if row else None

    def get(self, incident_id: int) -> Incident | None:
        row = self._session.get(IncidentRow, incident_id)
        return _to_incident(row) if row else None

    def open_incidents(self) -> list[Incident]:
        """Open incidents, most severe first, then oldest first."""
        rows = self._session.exec(
            select(IncidentRow)
            .where(col(IncidentRow.status).in_(OPEN_STATUSES))
            .order_by(col(IncidentRow.severity), col(IncidentRow.declared_at), col(IncidentRow.id))
        )
        return [_to_incident(row) for row in rows]

    def timeline(self, incident_id: int) -> list[TimelineEntry]:
        """Every entry, oldest first."""
        rows = self._session.exec(
            select(TimelineEntryRow)
            .where(TimelineEntryRow.incident_id == incident_id)
            .order_by(col(TimelineEntryRow.at), col(TimelineEntryRow.id))
        )
        return [TimelineEntry(as_utc(r.at), r.author, r.kind, r.text) for r in rows]

    def first_delivery(self, event_id: str, *, at: datetime) -> bool:
        """Remember a Slack event id; False when it was seen before (a retry)."""
        try:
            with self._session.begin_nested():
                self._session.add(ProcessedEvent(event_id=event_id, received_at=at))
        except IntegrityError:
            return False
        return True


def _row_fields(incident: Incident) -> dict:
    return {
        "title": incident.title,
        "description": incident.description,
        "severity": int(incident.severity),
        "class_id": incident.class_id,
        "private": incident.private,
        "status": incident.status.value,
        "captain": incident.captain,
        "declared_by": incident.declared_by,
        "declared_at": incident.declared_at,
        "channel_id": incident.channel_id,
        "channel_name": incident.channel_name,
    }


def _to_incident(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        description=row.description,
        severity=Severity(row.severity),
        class_id=row.class_id,
        private=row.private,
        status=Status(row.status),
        captain=row.captain,
        declared_by=row.declared_by,
        declared_at=as_utc(row.declared_at),
        channel_id=row.channel_id,
        channel_name=row.channel_name,
    )
