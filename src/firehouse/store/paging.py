"""Paging and events' records: the routing rules applied, the pages, the notifications kept for other systems,
and what is owed to pagers and subscriptions (sent later by `usecases.deliveries`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from firehouse.domain.notifications import Published
from firehouse.domain.pages import Page, PageState
from firehouse.store.mapping import RowMap, as_utc
from firehouse.store.tables import DeliveryRow, NotificationRow, PageRow, RouteRow

PAGE = RowMap(Page, PageRow)
HELD = (PageState.TRIGGERED.value, PageState.ACKNOWLEDGED.value)


class PagingRepository:
    """Routes, pages, notifications and deliveries inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def applied(self, incident_id: int) -> set[str]:
        """The routing rules already applied to the incident, by name."""
        return set(self._session.exec(select(RouteRow.rule).where(RouteRow.incident_id == incident_id)))

    def apply(self, incident_id: int, rule: str, *, at: datetime) -> None:
        self._session.add(RouteRow(incident_id=incident_id, rule=rule, applied_at=at))

    def pages(self, incident_id: int) -> list[Page]:
        return PAGE.of(self._session, incident_id)

    def page(self, incident_id: int, pager: str) -> Page | None:
        return next((page for page in self.pages(incident_id) if page.pager == pager), None)

    def held(self, pagers: list[str]) -> list[Page]:
        """Every page of these pagers that is triggered or acknowledged, whatever the incident."""
        query = select(PageRow).where(col(PageRow.pager).in_(pagers), col(PageRow.state).in_(HELD))
        return [PAGE.load(row) for row in self._session.exec(query.order_by(col(PageRow.id)))]

    def page_by_key(self, dedup_key: str) -> Page | None:
        # Locked until the change commits (PostgreSQL): a pager's answer and its webhook may change a page at once.
        row = self._session.exec(select(PageRow).where(PageRow.dedup_key == dedup_key).with_for_update()).first()
        return PAGE.load(row) if row else None

    def add_page(self, page: Page) -> Page:
        return PAGE.add(self._session, page)

    def save_page(self, page: Page) -> None:
        PAGE.save(self._session, page)

    def publish(self, published: Published) -> None:
        """Keep a notification, for delivery now and replay later."""
        self._session.add(NotificationRow(id=published.id, incident_id=published.incident_id, type=published.type,
                                          at=published.at, data=published.data, drill=published.drill))

    def owed(self, incident_id: int, destination: str) -> list[tuple[int, dict]]:
        """What is still owed to `destination` for the incident and nobody is sending now: (id, body), oldest first."""
        query = select(DeliveryRow).where(
            DeliveryRow.incident_id == incident_id, DeliveryRow.destination == destination,
            col(DeliveryRow.done_at).is_(None), col(DeliveryRow.given_up_at).is_(None),
            col(DeliveryRow.claimed_until).is_(None))
        return [(row.id, dict(row.body)) for row in self._session.exec(query.order_by(col(DeliveryRow.id)))]

    def cancel(self, delivery_ids: list[int], *, at: datetime, said: str) -> None:
        """Give up deliveries no longer wanted (a trigger the incident's resolution overtook), unless being sent."""
        if delivery_ids:
            self._session.execute(update(DeliveryRow).where(col(DeliveryRow.id).in_(delivery_ids),
                                                            col(DeliveryRow.claimed_until).is_(None))
                                  .values(given_up_at=at, said=said))

    def owe(self, *, incident_id: int, destination: str, body: dict, at: datetime) -> None:
        """Owe `destination` (pager:<name>, events:<name>) what `body` says, due now."""
        self._session.add(DeliveryRow(incident_id=incident_id, destination=destination, body=body, created_at=at,
                                      next_at=at))


def published(row: NotificationRow) -> Published:
    return Published(id=row.id, incident_id=row.incident_id, type=row.type, at=as_utc(row.at), data=dict(row.data),
                     drill=row.drill, seq=row.seq)


def notifications_since(session: Session, since: datetime) -> list[Published]:
    """Every notification kept from `since` on, in the order they happened."""
    return [published(row) for row in session.exec(
        select(NotificationRow).where(col(NotificationRow.at) >= since).order_by(col(NotificationRow.seq)))]
