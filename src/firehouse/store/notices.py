"""Notices drafted in incidents: drafted, edited, approved and sent, each step written back to one row."""

from __future__ import annotations

from sqlmodel import Session, col, select

from firehouse.domain.notices import Notice
from firehouse.store.mapping import RowMap
from firehouse.store.tables import NoticeRow

NOTICE = RowMap(Notice, NoticeRow)


class NoticeRepository:
    """Notices inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, notice: Notice) -> Notice:
        """Store a new notice; sets `notice.id`."""
        return NOTICE.add(self._session, notice)

    def save(self, notice: Notice) -> None:
        NOTICE.save(self._session, notice)

    def get(self, notice_id: int) -> Notice | None:
        row = self._session.get(NoticeRow, notice_id)
        return NOTICE.load(row) if row else None

    def of(self, incident_id: int) -> list[Notice]:
        """The incident's notices, oldest first."""
        rows = self._session.exec(select(NoticeRow).where(NoticeRow.incident_id == incident_id)
                                  .order_by(col(NoticeRow.id)))
        return [NOTICE.load(row) for row in rows]
