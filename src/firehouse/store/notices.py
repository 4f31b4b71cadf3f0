"""Notices drafted in incidents: drafted, edited, approved and sent, each step written back to one row."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.errors import InvalidChange
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

    def save(self, notice: Notice, *, was: NoticeStatus | None = None) -> None:
        """Write the notice back; with `was`, only if its status is still `was` in the database (InvalidChange if
        someone acted on it meanwhile). The check is the write itself, so two clicks at once make one change on
        SQLite too, where a read locks nothing."""
        if was is not None:
            moved = self._session.execute(update(NoticeRow).where(col(NoticeRow.id) == notice.id,
                                                                  col(NoticeRow.status) == was.value)
                                          .values(status=notice.status.value)).rowcount
            if not moved:
                now = self._session.exec(select(NoticeRow.status).where(NoticeRow.id == notice.id)).one()
                raise InvalidChange(f"Someone acted on this notice at the same moment: it is {now} now.")
        NOTICE.save(self._session, notice)

    def get(self, notice_id: int) -> Notice | None:
        return NOTICE.get(self._session, notice_id)


    def of(self, incident_id: int) -> list[Notice]:
        """The incident's notices, oldest first."""
        return NOTICE.of(self._session, incident_id)
