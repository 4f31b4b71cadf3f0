"""Alert deliveries, the alerts each incident knows, and the war rooms alerts opened, mapped to domain objects.

One repository of the unit of work, like the others: `uow.alerts`. Its rows are read into `Delivery` objects
only in part (what processing needs), so it maps them by hand rather than through a `RowMap`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from firehouse.domain.alerts import Alert, AlertGroup, Delivery
from firehouse.store.incidents import OPEN_STATUSES
from firehouse.store.mapping import as_utc
from firehouse.store.tables import AlertDeliveryRow, AlertRoomRow, AlertRow, IncidentRow

LOCK_KEY = 0x414C5254  # "ALRT": held while deliveries are processed, so replicas take them one at a time
MAX_ERROR = 200


class AlertRepository:
    """Alert intake's rows inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # --- deliveries ------------------------------------------------------------------------------------

    def add_delivery(self, group: AlertGroup, *, at: datetime) -> int:
        row = AlertDeliveryRow(source=group.source, received_at=at, group=group.to_dict())
        self._session.add(row)
        self._session.flush()
        return row.id

    def waiting(self) -> list[Delivery]:
        """Every delivery not processed yet, due or waiting out a retry, oldest first (the order received)."""
        rows = self._session.exec(select(AlertDeliveryRow).where(col(AlertDeliveryRow.processed_at).is_(None))
                                  .order_by(col(AlertDeliveryRow.id)))
        return [_delivery(row) for row in rows]

    def unprocessed(self, delivery_id: int) -> Delivery | None:
        """The delivery, or None when it was processed meanwhile (by another replica, or before a restart)."""
        row = self._session.get(AlertDeliveryRow, delivery_id)
        if row is None or row.processed_at is not None:
            return None
        return _delivery(row)

    def processed(self, delivery_id: int, *, at: datetime, outcome: str, incident_id: int | None) -> None:
        row = self._session.get(AlertDeliveryRow, delivery_id)
        row.processed_at, row.outcome, row.incident_id, row.error = at, outcome, incident_id, ""

    def failed(self, delivery_id: int, *, error: str, retry_at: datetime) -> int:
        """Count a failed attempt; returns how many there were."""
        row = self._session.get(AlertDeliveryRow, delivery_id)
        row.attempts += 1
        row.error, row.retry_at = error[:MAX_ERROR], retry_at
        return row.attempts

    # --- the alerts incidents know --------------------------------------------------------------------------

    def incident_of(self, group: AlertGroup) -> int | None:
        """The open incident that knows this group's key, else one of its fingerprints (the newest incident)."""
        base = (select(AlertRow.incident_id).join(IncidentRow, col(IncidentRow.id) == col(AlertRow.incident_id))
                .where(col(IncidentRow.status).in_(OPEN_STATUSES), AlertRow.source == group.source)
                .order_by(col(AlertRow.incident_id).desc()))
        if group.group_digest:
            found = self._session.exec(base.where(AlertRow.group_digest == group.group_digest)).first()
            if found is not None:
                return found
        fingerprints = [a.fingerprint for a in group.alerts]
        return self._session.exec(base.where(col(AlertRow.fingerprint).in_(fingerprints))).first()

    def of(self, incident_id: int) -> list[dict]:
        """Every alert the incident took in, as stored (for its evidence pack), first seen first."""
        rows = self._session.exec(select(AlertRow).where(AlertRow.incident_id == incident_id)
                                  .order_by(col(AlertRow.first_seen_at), col(AlertRow.id)))
        return [row.model_dump() for row in rows]

    def known(self, incident_id: int, source: str) -> dict[str, str]:
        """The fingerprints of `source` the incident knows, with each alert's last status."""
        rows = self._session.exec(select(AlertRow.fingerprint, AlertRow.status)
                                  .where(AlertRow.incident_id == incident_id, AlertRow.source == source))
        return dict(rows.all())

    def remember(self, incident_id: int, group: AlertGroup, alerts: Sequence[Alert], *, at: datetime) -> None:
        """Record `alerts` as the incident's, or bring the ones it knows up to date."""
        rows = {row.fingerprint: row for row in self._session.exec(
            select(AlertRow).where(AlertRow.incident_id == incident_id, AlertRow.source == group.source,
                                   col(AlertRow.fingerprint).in_([a.fingerprint for a in alerts])))}
        for alert in alerts:
            row = rows.get(alert.fingerprint)
            if row is None:
                row = rows[alert.fingerprint] = AlertRow(
                    incident_id=incident_id, source=group.source, fingerprint=alert.fingerprint,
                    name=alert.name[:200], status=alert.status, labels=dict(alert.labels), starts_at=alert.starts_at,
                    first_seen_at=at, last_seen_at=at)
                self._session.add(row)
            row.status, row.ends_at, row.last_seen_at = alert.status, alert.ends_at, at
            row.group_digest = group.group_digest or row.group_digest

    # --- war rooms alerts opened, for storm control ----------------------------------------------------------

    def add_room(self, incident_id: int, *, at: datetime, storm: bool = False) -> None:
        self._session.add(AlertRoomRow(incident_id=incident_id, opened_at=at, storm=storm))

    def rooms_opened_since(self, moment: datetime) -> int:
        """War rooms of their own that alert groups opened since `moment` (the storm's room not counted)."""
        return self._session.exec(select(func.count()).select_from(AlertRoomRow).where(
            col(AlertRoomRow.opened_at) >= moment, col(AlertRoomRow.storm).is_(False))).one()

    def open_storm(self) -> int | None:
        """The open incident an alert storm's groups join, if there is one."""
        return self._session.exec(
            select(AlertRoomRow.incident_id).join(IncidentRow, col(IncidentRow.id) == col(AlertRoomRow.incident_id))
            .where(col(AlertRoomRow.storm).is_(True), col(IncidentRow.status).in_(OPEN_STATUSES))
            .order_by(col(AlertRoomRow.incident_id).desc())).first()


def _delivery(row: AlertDeliveryRow) -> Delivery:
    return Delivery(id=row.id, received_at=as_utc(row.received_at), group=AlertGroup.from_dict(row.group),
                    attempts=row.attempts, retry_at=as_utc(row.retry_at) if row.retry_at else None)


@contextmanager
def processing_lock(engine: Engine) -> Iterator[None]:
    """Process deliveries one replica at a time: a PostgreSQL advisory lock, held for the whole batch. SQLite
    serves one process, whose own lock is enough."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            connection.commit()
