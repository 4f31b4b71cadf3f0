"""Alert intake's store on SQLite and on PostgreSQL: deliveries, what incidents know, storm counts, and the
advisory lock that lets one replica at a time process deliveries."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from unit.store.conftest import postgres_engine
from unit.usecases.fakes import CAROL, START, FakeOutbound, SteppedClock

from firehouse.config import Settings
from firehouse.config.alerts import AlertSettings
from firehouse.domain.alerts import FIRING, Alert, AlertGroup
from firehouse.store import UnitOfWork
from firehouse.store.alerts import processing_lock
from firehouse.usecases.alerts import AlertIntake
from firehouse.usecases.incidents import IncidentService


@pytest.fixture
def postgres(postgres_url):
    yield from postgres_engine(postgres_url)


def group(name: str, *, fingerprint: str) -> AlertGroup:
    alert = Alert(status=FIRING, labels={"alertname": name}, annotations={}, starts_at=START,
                  fingerprint=fingerprint)
    return AlertGroup(source="alertmanager", status=FIRING, group_key=f"{{}}:{{alertname={name!r}}}", alerts=(alert,))


def test_deliveries_open_attach_and_storm_the_same_on_either_database(engine):
    clock = SteppedClock(START)
    outbound = FakeOutbound(clock=clock)
    settings = Settings(bot_token="xoxb-test", signing_secret="s",
                        alerts=AlertSettings(token="t" * 20, captain=CAROL, storm_limit=1))
    intake = AlertIntake(service=IncidentService(engine=engine, outbound=outbound, settings=settings, clock=clock))
    for name, fingerprint in (("One", "f1"), ("One", "f1"), ("Two", "f2"), ("Three", "f3")):
        intake.receive(group(name, fingerprint=fingerprint))
    assert intake.drain() == 4
    with UnitOfWork(engine) as uow:
        alerts = uow.alerts
        assert alerts.rooms_opened_since(START - timedelta(minutes=1)) == 1
        storm = alerts.open_storm()
        assert storm is not None and alerts.incident_of(group("Three", fingerprint="f3")) == storm
        assert alerts.known(storm, "alertmanager") == {"f2": "firing", "f3": "firing"}
        assert alerts.waiting() == []
    assert len(outbound.created) == 2


def test_a_failed_delivery_waits_with_its_retry_time_on_either_database(engine):
    with UnitOfWork(engine) as uow:
        first = uow.alerts.add_delivery(group("One", fingerprint="f1"), at=START)
        second = uow.alerts.add_delivery(group("Two", fingerprint="f2"), at=START)
        assert uow.alerts.failed(first, error="Slack down", retry_at=START + timedelta(seconds=5)) == 1
        uow.commit()
    with UnitOfWork(engine) as uow:
        waiting = uow.alerts.waiting()
    assert [(d.id, d.attempts, d.retry_at) for d in waiting] == [(first, 1, START + timedelta(seconds=5)),
                                                                  (second, 0, None)]
    assert [d.due(START) for d in waiting] == [False, True]


def test_one_replica_at_a_time_holds_the_processing_lock_on_postgresql(postgres):
    engine = postgres
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with processing_lock(engine):
            order.append("first in")
            held.set()
            time.sleep(0.3)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with processing_lock(engine):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]
