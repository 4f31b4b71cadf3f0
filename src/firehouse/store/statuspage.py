"""The status updates published to the status pages, and what the public page is built from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from firehouse.domain.statuspage import PublicStatus, Publishing, StatusUpdate
from firehouse.store.mapping import RowMap, as_utc
from firehouse.store.tables import StatusUpdateRow

UPDATE = RowMap(StatusUpdate, StatusUpdateRow)
PUBLISHED = Publishing.PUBLISHED.value


class StatusPageRepository:
    """Status updates inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, update: StatusUpdate) -> StatusUpdate:
        return UPDATE.add(self._session, update)

    def save(self, update: StatusUpdate) -> None:
        UPDATE.save(self._session, update)

    def get(self, update_id: int, *, lock: bool = False) -> StatusUpdate | None:
        query = select(StatusUpdateRow).where(StatusUpdateRow.id == update_id)
        # Locked until the change commits (PostgreSQL): Statuspage's answer and a retry's may land at once.
        row = self._session.exec(query.with_for_update() if lock else query).first()
        return UPDATE.load(row) if row else None

    def of(self, incident_id: int) -> list[StatusUpdate]:
        """The incident's updates, oldest first, whatever their state."""
        return UPDATE.of(self._session, incident_id)

    def public(self, *, since: datetime) -> list[StatusUpdate]:
        """Every published update of the incidents the public page shows: those open there (their latest update
        is not `resolved`, however old), and those updated since `since` (the page's 90 days)."""
        published = StatusUpdateRow.state == PUBLISHED
        latest = select(func.max(StatusUpdateRow.id)).where(published).group_by(col(StatusUpdateRow.public_id))
        still_open = select(StatusUpdateRow.public_id).where(col(StatusUpdateRow.id).in_(latest),
                                                             StatusUpdateRow.status != PublicStatus.RESOLVED.value)
        recent = select(StatusUpdateRow.public_id).where(published, StatusUpdateRow.published_at >= since)
        query = (select(StatusUpdateRow)
                 .where(published, or_(col(StatusUpdateRow.public_id).in_(still_open),
                                       col(StatusUpdateRow.public_id).in_(recent)))
                 .order_by(col(StatusUpdateRow.id)))
        return [UPDATE.load(row) for row in self._session.exec(query)]

    def version(self) -> tuple[int, datetime | None]:
        """What changes whenever the public page must: how many updates are published, and the latest moment."""
        count, latest = self._session.exec(select(func.count(), func.max(StatusUpdateRow.published_at))
                                           .where(StatusUpdateRow.state == PUBLISHED)).one()
        return count, as_utc(latest) if latest else None
