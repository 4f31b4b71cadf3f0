"""Notices drafted in incidents: drafted, edited, approved and sent, each step written back to one row."""

from __future__ import annotations

from sqlmodel import Session, select

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
        return NOTICE.get(self._session, notice_id)

    def locked(self, notice_id: int) -> Notice | None:
        """The notice, locked until the change commits (PostgreSQL): two Publish clicks make one update."""
        row = self._session.exec(select(NoticeRow).where(NoticeRow.id == notice_id).with_for_update()).first()
        return NOTICE.load(row) if row else None

    def of(self, incident_id: int) -> list[Notice]:
        """The incident's notices, oldest first."""
        return NOTICE.of(self._session, incident_id)
