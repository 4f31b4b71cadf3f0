"""What is owed to pagers and subscriptions, from the sender's side: each method its own short transaction, so
no sender holds one open while it waits on another system."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from firehouse.domain.notifications import Published
from firehouse.domain.statuspage import PublicStatus, Publishing, StatusUpdate
from firehouse.store.mapping import as_utc
from firehouse.store.paging import published
from firehouse.store.statuspage import UPDATE
from firehouse.store.tables import DeliveryRow, IncidentRow, NotificationRow, StatusUpdateRow

MAX_SAID = 500
STATUS = "status:statuspage"  # the deliveries' destination for Atlassian Statuspage (our own page needs none)


class DeliveryStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def pending(self) -> list[DeliveryRow]:
        """Every delivery not done and not given up, oldest first."""
        with Session(self._engine) as session:
            return list(session.exec(select(DeliveryRow).where(col(DeliveryRow.done_at).is_(None),
                                                              col(DeliveryRow.given_up_at).is_(None))
                                     .order_by(col(DeliveryRow.id))))

    def claim_many(self, row_ids: list[int], *, now: datetime, until: datetime) -> set[int]:
        """Take these deliveries until `until` and count the attempt, each unless another sender holds it or it is
        settled, in one statement; returns the ids taken."""
        if not row_ids:
            return set()
        with Session(self._engine) as session:
            taken = session.execute(
                update(DeliveryRow)
                .where(col(DeliveryRow.id).in_(row_ids), col(DeliveryRow.done_at).is_(None),
                       col(DeliveryRow.given_up_at).is_(None),
                       or_(col(DeliveryRow.claimed_until).is_(None), col(DeliveryRow.claimed_until) < now))
                .values(claimed_until=until, attempts=DeliveryRow.attempts + 1)
                .returning(DeliveryRow.id)
            ).scalars().all()
            session.commit()
        return set(taken)

    def release(self, row_ids: list[int]) -> None:
        """Give up claims taken and not tried (an earlier delivery of their incident failed): not an attempt."""
        if not row_ids:
            return
        with Session(self._engine) as session:
            session.execute(update(DeliveryRow).where(col(DeliveryRow.id).in_(row_ids))
                            .values(claimed_until=None, attempts=DeliveryRow.attempts - 1))
            session.commit()

    def done_many(self, taken: list[tuple[int, str]], *, at: datetime) -> None:
        """Write down deliveries taken, each with what the other side said, in one statement."""
        table = DeliveryRow.__table__
        with Session(self._engine) as session:
            session.connection().execute(
                table.update().where(table.c.id == bindparam("row_id")).values(
                    done_at=at, said=bindparam("answer"), claimed_until=None),
                [{"row_id": row_id, "answer": said[:MAX_SAID]} for row_id, said in taken])
            session.commit()

    def settle(self, row_id: int, *, said: str, next_at: datetime | None = None,
               given_up_at: datetime | None = None) -> None:
        """Record a failure: tried again at `next_at`, or given up; the claim is freed."""
        values: dict = {"said": said[:MAX_SAID], "claimed_until": None}
        values.update({k: v for k, v in (("next_at", next_at), ("given_up_at", given_up_at)) if v is not None})
        with Session(self._engine) as session:
            session.execute(update(DeliveryRow).where(col(DeliveryRow.id) == row_id).values(**values))
            session.commit()

    def notifications(self, ids: list[str]) -> dict[str, Published]:
        """The notifications with these ids, by id, in one read."""
        with Session(self._engine) as session:
            rows = session.exec(select(NotificationRow).where(col(NotificationRow.id).in_(ids))) if ids else []
            return {row.id: published(row) for row in rows}

    def private_incidents(self, ids: set[int]) -> set[int]:
        """Which of these incidents are private now."""
        if not ids:
            return set()
        with Session(self._engine) as session:
            return set(session.exec(select(IncidentRow.id).where(col(IncidentRow.id).in_(ids),
                                                                 col(IncidentRow.private).is_(True))))

    def status_update(self, update_id: int) -> tuple[StatusUpdate, str | None, set[str], list[tuple[str, str]]] | None:
        """A status update to send; Statuspage's id for its incident (None: not opened there yet; this very update's
        own when Statuspage took it before a crash); the classes its incident's earlier updates were published
        under (their components go back to operational, unless another open incident holds them); and the
        (class, component state) of every other incident open on Statuspage, as far as Statuspage took them."""
        with Session(self._engine) as session:
            row = session.get(StatusUpdateRow, update_id)
            if row is None:
                return None
            mine = session.exec(select(StatusUpdateRow).where(StatusUpdateRow.incident_id == row.incident_id,
                                                              col(StatusUpdateRow.id) <= update_id)).all()
            opened = next((e.statuspage_id for e in mine if e.statuspage_id), None)
            taken = col(StatusUpdateRow.statuspage_id).is_not(None)
            latest = select(func.max(StatusUpdateRow.id)).where(taken).group_by(col(StatusUpdateRow.incident_id))
            others = session.exec(select(StatusUpdateRow.class_id, StatusUpdateRow.component_state).where(
                col(StatusUpdateRow.id).in_(latest), StatusUpdateRow.incident_id != row.incident_id,
                StatusUpdateRow.status != PublicStatus.RESOLVED.value)).all()
            return UPDATE.load(row), opened, {e.class_id for e in mine if e.id != update_id}, list(others)

    def taken(self, update_id: int, *, reference: str | None, link: str | None) -> None:
        """What Statuspage called the incident it took this update into, written before the lane sends the next
        update (which must update that incident, not open another) and before the delivery is marked done (so a
        lost answer can still be recorded from it)."""
        with Session(self._engine) as session:
            session.execute(update(StatusUpdateRow).where(col(StatusUpdateRow.id) == update_id)
                            .values(statuspage_id=reference, statuspage_link=link))
            session.commit()

    def forget_statuspage_incident(self, incident_id: int) -> None:
        """Statuspage no longer has the incident its updates went to (someone deleted it there): forget its id, so
        that the next update opens a new one. The links stay, for the record."""
        with Session(self._engine) as session:
            session.execute(update(StatusUpdateRow).where(col(StatusUpdateRow.incident_id) == incident_id)
                            .values(statuspage_id=None))
            session.commit()

    def stranded_status_updates(self, *, before: datetime) -> list[tuple[int, int, bool, str]]:
        """(update, incident, taken, Statuspage's words) of each status update still `publishing` whose delivery
        was settled before `before`: its answer was never recorded."""
        update_id = DeliveryRow.body["update"].as_integer()
        query = (select(StatusUpdateRow.id, StatusUpdateRow.incident_id, DeliveryRow.done_at, DeliveryRow.said)
                 .join(DeliveryRow, update_id == StatusUpdateRow.id)
                 .where(DeliveryRow.destination == STATUS,
                        StatusUpdateRow.state == Publishing.PUBLISHING.value,
                        or_(col(DeliveryRow.done_at) < before, col(DeliveryRow.given_up_at) < before)))
        with Session(self._engine) as session:
            return [(row_id, incident_id, done is not None, said)
                    for row_id, incident_id, done, said in session.exec(query)]

    def prune(self, *, before: datetime) -> int:
        """Delete deliveries done or given up before `before`; returns how many. The notifications stay (replay)."""
        with Session(self._engine) as session:
            pruned = session.execute(delete(DeliveryRow).where(or_(
                col(DeliveryRow.done_at) < before, col(DeliveryRow.given_up_at) < before))).rowcount
            session.commit()
        return pruned

    def oldest_undelivered(self, prefix: str) -> datetime | None:
        """When the oldest delivery to a destination starting with `prefix` that is still owed was recorded."""
        with Session(self._engine) as session:
            oldest = session.exec(select(func.min(DeliveryRow.created_at)).where(
                col(DeliveryRow.destination).startswith(prefix), col(DeliveryRow.done_at).is_(None),
                col(DeliveryRow.given_up_at).is_(None))).first()
        return as_utc(oldest) if oldest else None
