"""Paging's and deliveries' store on SQLite and on PostgreSQL: a page found (and locked) by its dedup key, what is
owed cancelled unless in flight, claims taken in one statement (RETURNING) and given back, what was taken written
down at once, privacy as it stands, and forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from unit.store.test_repository import add

from firehouse.domain.model import Incident
from firehouse.domain.pages import Page, PageState
from firehouse.domain.severity import Severity
from firehouse.store import UnitOfWork
from firehouse.store.deliveries import DeliveryStore

AT = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def declared(engine, channel: str, *, class_id: str = "output") -> Incident:
    return add(engine, title="Refund agent approves fraud", channel=channel, severity=Severity.SEV1, at=AT,
               class_id=class_id)


def test_a_page_is_found_by_its_dedup_key_and_changes_stick(engine):
    incident = declared(engine, "C1")
    with UnitOfWork(engine) as uow:
        page = uow.paging.add_page(Page.new(incident_id=incident.id, pager="ai-platform", by="U1", at=AT))
        uow.commit()
    with UnitOfWork(engine) as uow:
        found = uow.paging.page_by_key(page.dedup_key)  # locked until this commits, on PostgreSQL
        found.state, found.acknowledged_by, found.acknowledged_at = PageState.ACKNOWLEDGED, "Alex", AT + MINUTE
        uow.paging.save_page(found)
        uow.commit()
    with UnitOfWork(engine) as uow:
        again = uow.paging.page_by_key(page.dedup_key)
        assert (again.state, again.acknowledged_by, again.acknowledged_at) == (PageState.ACKNOWLEDGED, "Alex",
                                                                              AT + MINUTE)
        assert uow.paging.page_by_key("firehouse-9-nobody-000000") is None


def test_deliveries_are_claimed_given_back_taken_cancelled_and_forgotten(engine):
    first, second = declared(engine, "C1"), declared(engine, "C2", class_id="data")
    with UnitOfWork(engine) as uow:
        for incident in (first, first, second):
            uow.paging.owe(incident_id=incident.id, destination="pager:ai-platform",
                           body={"action": "trigger", "dedup_key": f"k{incident.id}"}, at=AT)
        uow.commit()
    store = DeliveryStore(engine)
    a, b, c = (row.id for row in store.pending())
    assert store.claim_many([a, b], now=AT, until=AT + 2 * MINUTE) == {a, b}
    assert store.claim_many([a, b, c], now=AT + MINUTE, until=AT + 3 * MINUTE) == {c}  # a and b are held
    store.release([b])
    store.done_many([(a, "PagerDuty accepted")], at=AT + MINUTE)
    with UnitOfWork(engine) as uow:
        assert [delivery for delivery, _ in uow.paging.owed(first.id, "pager:ai-platform")] == [b]
        assert uow.paging.owed(second.id, "pager:ai-platform") == []  # c is in flight
        uow.paging.cancel([b, c], at=AT + MINUTE, said="not sent: the incident resolved first")
        uow.commit()
    rows = {row.id: row for row in store.pending()}
    assert set(rows) == {c} and rows[c].attempts == 1  # b cancelled; c, being sent, untouched
    assert store.private_incidents({first.id, second.id}) == {second.id}
    assert store.prune(before=AT + 2 * MINUTE) == 2  # a taken and b cancelled; c still owed
    assert [row.id for row in store.pending()] == [c]
