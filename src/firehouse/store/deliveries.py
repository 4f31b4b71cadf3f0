"""What is owed to pagers and subscriptions, from the sender's side: each method its own short transaction, so
no sender holds one open while it waits on another system."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from firehouse.domain.notifications import Published
from firehouse.store.mapping import as_utc
from firehouse.store.paging import published
from firehouse.store.tables import DeliveryRow, NotificationRow

MAX_SAID = 500


class DeliveryStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def pending(self) -> list[DeliveryRow]:
        """Every delivery not done and not given up, oldest first."""
        with Session(self._engine) as session:
            return list(session.exec(select(DeliveryRow).where(col(DeliveryRow.done_at).is_(None),
                                                              col(DeliveryRow.given_up_at).is_(None))
                                     .order_by(col(DeliveryRow.id))))

    def claim(self, row_id: int, *, now: datetime, until: datetime) -> bool:
        """Take the delivery until `until` and count the attempt, unless another sender holds it, or it is done."""
        with Session(self._engine) as session:
            claimed = session.execute(
                update(DeliveryRow)
                .where(col(DeliveryRow.id) == row_id, col(DeliveryRow.done_at).is_(None),
                       col(DeliveryRow.given_up_at).is_(None),
                       or_(col(DeliveryRow.claimed_until).is_(None), col(DeliveryRow.claimed_until) < now))
                .values(claimed_until=until, attempts=DeliveryRow.attempts + 1)
            ).rowcount
            session.commit()
        return claimed == 1

    def settle(self, row_id: int, *, said: str, done_at: datetime | None = None, next_at: datetime | None = None,
               given_up_at: datetime | None = None) -> None:
        """Record the answer: done, to be tried again at `next_at`, or given up; the claim is freed."""
        values: dict = {"said": said[:MAX_SAID], "claimed_until": None}
        values.update({k: v for k, v in (("done_at", done_at), ("next_at", next_at), ("given_up_at", given_up_at))
                       if v is not None})
        with Session(self._engine) as session:
            session.execute(update(DeliveryRow).where(col(DeliveryRow.id) == row_id).values(**values))
            session.commit()

    def notifications(self, ids: list[str]) -> dict[str, Published]:
        """The notifications with these ids, by id, in one read."""
        with Session(self._engine) as session:
            rows = session.exec(select(NotificationRow).where(col(NotificationRow.id).in_(ids))) if ids else []
            return {row.id: published(row) for row in rows}

    def oldest_undelivered(self, prefix: str) -> datetime | None:
        """When the oldest delivery to a destination starting with `prefix` that is still owed was recorded."""
        with Session(self._engine) as session:
            oldest = session.exec(select(func.min(DeliveryRow.created_at)).where(
                col(DeliveryRow.destination).startswith(prefix), col(DeliveryRow.done_at).is_(None),
                col(DeliveryRow.given_up_at).is_(None))).first()
        return as_utc(oldest) if oldest else None
