"""The repository against a real SQLite file."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import SQLModel

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.store import UnitOfWork, make_engine

AT = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """The same tests against SQLite (the default) and PostgreSQL (to scale out)."""
    if request.param == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    engine = make_engine(request.getfixturevalue("postgres_url"))
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    return engine


def add(engine, title="Bot lies", channel="C1", severity=Severity.SEV2, at=AT, class_id="output") -> Incident:
    incident, declared = Incident.declare(title=title, severity=severity, incident_class=DEFAULT_CLASSES[class_id],
                                          by="U1", at=at)
    incident.channel_id, incident.channel_name = channel, f"inc-{channel.lower()}"
    with UnitOfWork(engine) as uow:
        uow.incidents.add(incident, [declared])
        uow.commit()
    return incident


def test_an_incident_round_trips_with_utc_times(engine):
    added = add(engine)
    with UnitOfWork(engine) as uow:
        loaded = uow.incidents.by_channel("C1")
    assert loaded == added
    assert loaded.declared_at.tzinfo is not None


def test_nothing_is_written_without_commit(engine):
    incident, declared = Incident.declare(title="x", severity=Severity.SEV3,
                                          incident_class=DEFAULT_CLASSES["output"], by="U1", at=AT)
    incident.channel_id, incident.channel_name = "C9", "inc-x"
    with UnitOfWork(engine) as uow:
        uow.incidents.add(incident, [declared])
    with UnitOfWork(engine) as uow:
        assert uow.incidents.by_channel("C9") is None


def test_timeline_is_oldest_first_and_handover_is_saved(engine):
    add(engine)
    with UnitOfWork(engine) as uow:
        incident = uow.incidents.by_channel("C1")
        later = incident.log(text="second", by="U2", at=AT + timedelta(minutes=5))
        earlier = incident.log(text="first", by="U2", at=AT + timedelta(minutes=1))
        handed = incident.hand_over(to="U3", by="U1", at=AT + timedelta(minutes=9))
        uow.incidents.save(incident, [later, earlier, handed])
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.incidents.by_channel("C1").captain == "U3"
        kinds = [(e.kind, e.text.split()[0]) for e in uow.incidents.timeline(incident.id)]
    assert kinds == [("declared", "Declared"), ("log", "first"), ("log", "second"), ("captain", "Fire")]


def test_open_incidents_are_most_severe_then_oldest_first(engine):
    add(engine, "b", "C2", Severity.SEV2, AT)
    add(engine, "a", "C1", Severity.SEV3, AT)
    add(engine, "c", "C3", Severity.SEV1, AT + timedelta(hours=1))
    add(engine, "d", "C4", Severity.SEV2, AT - timedelta(hours=1))
    with UnitOfWork(engine) as uow:
        closed = uow.incidents.by_channel("C1")
        closed.status = Status.RESOLVED
        uow.incidents.save(closed, [])
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert [i.title for i in uow.incidents.open_incidents()] == ["c", "d", "b"]


def test_a_slack_event_id_is_handled_once(engine):
    with UnitOfWork(engine) as uow:
        assert uow.incidents.first_delivery("Ev1", at=AT)
        assert not uow.incidents.first_delivery("Ev1", at=AT)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert not uow.incidents.first_delivery("Ev1", at=AT)
        assert uow.incidents.first_delivery("Ev2", at=AT)
