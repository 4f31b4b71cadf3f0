"""A post's identity in Slack is its outbox row's key, unique across databases, never the row id."""

from __future__ import annotations

import re
import shutil

import pytest
from fixtures import release
from sqlmodel import Session, select
from unit.store.test_migrations import url  # noqa: F401 (a fixture: SQLite, then PostgreSQL)
from unit.usecases.fakes import ALICE, START

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.slack.gateway import Message
from firehouse.slack.outbox import METADATA_EVENT, Outbox
from firehouse.store import UnitOfWork, make_engine
from firehouse.store.tables import OutboxRow


@pytest.fixture
def second_engine(tmp_path, migrated_database):
    """Another deployment's database (or this one's after a reset): its row ids start at 1 too."""
    path = tmp_path / "other.db"
    shutil.copyfile(migrated_database, path)
    engine = make_engine(f"sqlite:///{path}", upgrade=False)
    yield engine
    engine.dispose()


def declared(engine, channel: str) -> int:
    incident, event = Incident.declare(title="Bot recommends rival products", severity=Severity.SEV2,
                                       incident_class=DEFAULT_CLASSES["output"], by=ALICE, at=START)
    incident.channel_id, incident.channel_name = channel, "inc-20260302-bot-recommends-rival-products"
    with UnitOfWork(engine) as uow:
        uow.incidents.add(incident, [event])
        uow.commit()
    return incident.id


def owe(engine, outbox: Outbox, incident_id: int, channel: str, text: str) -> OutboxRow:
    with UnitOfWork(engine) as uow:
        [row] = outbox.add(uow.session, incident_id, [("update", channel, Message(text=text), START)])
        uow.commit()
    return row


def stored(engine, row_id: int) -> OutboxRow:
    with Session(engine) as session:
        return session.get(OutboxRow, row_id)


def test_every_post_gets_a_key_of_its_own_a_uuid(engine, gateway, fake, clock):
    outbox = Outbox(engine=engine, gateway=gateway, clock=clock)
    incident_id = declared(engine, fake.stakeholders)
    rows = [owe(engine, outbox, incident_id, fake.stakeholders, f"Update {n}") for n in range(3)]
    keys = [stored(engine, row.id).key for row in rows]
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys) and len(set(keys)) == 3


def test_another_databases_post_with_the_same_row_id_is_not_taken_for_our_own_after_a_crash(
        engine, second_engine, gateway, fake, clock):
    channel = fake.stakeholders  # both deployments announce here
    theirs = Outbox(engine=second_engine, gateway=gateway, clock=clock)
    their_row = owe(second_engine, theirs, declared(second_engine, channel), channel, "Their update")
    assert theirs.deliver([their_row]) == 1

    ours_before_crash = Outbox(engine=engine, gateway=gateway, clock=clock)
    our_row = owe(engine, ours_before_crash, declared(engine, channel), channel, "Our update")
    assert our_row.id == their_row.id  # the same row id, in another database
    del ours_before_crash  # died between the commit and the send

    after_restart = Outbox(engine=engine, gateway=gateway, clock=clock)
    after_restart.release_claims()
    assert after_restart.sweep() == 1
    after_restart.confirm()

    texts = {m["text"]: m for m in fake.messages(channel)}
    assert set(texts) == {"Their update", "Our update"}  # ours went out; it was not marked sent unseen
    assert stored(engine, our_row.id).ts == texts["Our update"]["ts"]
    assert texts["Our update"]["metadata"]["event_payload"] == {"outbox_key": stored(engine, our_row.id).key}


def test_our_own_post_is_still_found_by_its_key_after_a_crash_and_not_sent_twice(engine, gateway, fake, clock):
    channel = fake.stakeholders
    before_crash = Outbox(engine=engine, gateway=gateway, clock=clock)
    row = owe(engine, before_crash, declared(engine, channel), channel, "Our update")
    before_crash.deliver([row])  # reached Slack, but the process died before writing it down
    del before_crash

    after_restart = Outbox(engine=engine, gateway=gateway, clock=clock)
    after_restart.release_claims()
    assert after_restart.sweep() == 1
    after_restart.confirm()

    [message] = fake.messages(channel)
    assert stored(engine, row.id).ts == message["ts"]


def test_a_post_that_carries_only_a_row_id_as_the_previous_release_wrote_it_is_not_proof(
        engine, gateway, fake, clock):
    """Matching it could mark a lost post sent (another database's row 1); not matching it can at worst
    repeat one post that was in flight at the moment of the upgrade. The second is the lesser harm."""
    channel = fake.stakeholders
    gateway.post(channel, Message(text="Row 1 of some database"),
                 metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": 1}})
    before_crash = Outbox(engine=engine, gateway=gateway, clock=clock)
    row = owe(engine, before_crash, declared(engine, channel), channel, "Our update")
    assert row.id == 1
    del before_crash

    after_restart = Outbox(engine=engine, gateway=gateway, clock=clock)
    after_restart.release_claims()
    after_restart.sweep()
    after_restart.confirm()
    assert [m["text"] for m in fake.messages(channel)] == ["Row 1 of some database", "Our update"]


def test_the_migration_gives_every_existing_row_of_the_previous_release_its_own_key(url):  # noqa: F811
    """Release 0.1.0's outbox rows, on SQLite and PostgreSQL, each get a UUID; then the column is required."""
    release.load(url)
    engine = make_engine(url)
    with Session(engine) as session:
        keys = [row.key for row in session.exec(select(OutboxRow))]
    engine.dispose()
    assert len(keys) == len(release.dumped()["outbox"]) == 3
    assert len(set(keys)) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
