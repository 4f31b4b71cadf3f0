"""Status updates and snoozes: the decision and the posts it owes are one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select
from unit.usecases.fakes import ALICE, BOB, STAKEHOLDERS, START

from firehouse.commands.incidents import Resolve
from firehouse.commands.timeline import PostUpdate
from firehouse.domain.events import UpdatePosted
from firehouse.domain.lifecycle import Status
from firehouse.domain.permissions import CAPTAIN, NotAllowed, Policy
from firehouse.errors import DomainError
from firehouse.slack.outbox import CLAIM
from firehouse.store import UnitOfWork
from firehouse.store.mapping import as_utc
from firehouse.store.tables import OutboxRow
from firehouse.usecases.effects import StatusUpdate
from firehouse.usecases.updates import Updates

TEXT = "Rolled back the ranking model to v12; watching click-through"


def outbox_rows(engine) -> list[OutboxRow]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxRow).order_by(col(OutboxRow.id))))


def stored(engine, channel: str):
    with UnitOfWork(engine) as uow:
        incident = uow.incidents.by_channel(channel)
        return incident, uow.incidents.timeline(incident.id)


@pytest.fixture
def commits(engine) -> list[str]:
    """One entry per transaction committed on the engine from now on."""
    seen: list[str] = []
    event.listen(engine, "commit", lambda connection: seen.append("commit"))
    return seen


def test_an_update_is_recorded_and_resets_the_update_clock(updates, outbound, declared, engine, clock):
    clock.advance(timedelta(minutes=12))
    outcome = updates.post_update(PostUpdate(TEXT), channel=declared.channel_id, by=BOB)

    [posted] = outcome.events
    assert isinstance(posted, UpdatePosted) and posted.text == TEXT and posted.by == BOB
    assert posted.next_due == clock.now + timedelta(minutes=30)
    incident, entries = stored(engine, declared.channel_id)
    assert (incident.last_update_at, incident.next_update_due) == (clock.now, posted.next_due)
    assert (entries[-1].kind, entries[-1].author, entries[-1].text) == ("update", BOB, TEXT)
    assert outbound.publications[0].events == (posted,)


def test_an_update_owes_the_war_room_and_the_stakeholders_a_post_each(updates, outbound, declared):
    outcome = updates.post_update(PostUpdate(TEXT), channel=declared.channel_id, by=BOB)

    posts = [post for _, post in outbound.owed]
    assert [(p.kind, p.channel) for p in posts] == [("update", declared.channel_id), ("update", STAKEHOLDERS)]
    assert all(isinstance(p.effect, StatusUpdate) and p.effect.update == outcome.events[0] for p in posts)
    assert [p.effect.for_stakeholders for p in posts] == [False, True]  # a private incident is discreet outside
    assert [row.channel for row in outbound.delivered] == [declared.channel_id, STAKEHOLDERS]


def test_the_posts_are_recorded_claimed_in_the_same_transaction_as_the_update(updates, outbound, declared, engine,
                                                                            clock, commits):
    clock.advance(timedelta(minutes=12))
    at_delivery = {}

    def look(owed):  # runs after the transaction, before anything is sent
        at_delivery["commits"] = len(commits)
        at_delivery["rows"] = outbox_rows(engine)
        at_delivery["entries"] = stored(engine, declared.channel_id)[1]

    outbound.on_deliver = look
    updates.post_update(PostUpdate(TEXT), channel=declared.channel_id, by=BOB)

    assert at_delivery["commits"] == 1
    assert at_delivery["entries"][-1].text == TEXT
    rows = at_delivery["rows"]
    assert [(r.kind, r.channel) for r in rows] == [("update", declared.channel_id), ("update", STAKEHOLDERS)]
    for row in rows:
        assert as_utc(row.claimed_until) == clock.now + CLAIM
        assert as_utc(row.attempted_at) == clock.now and row.attempts == 1
        assert row.sent_at is None and row.incident_id == declared.id
    assert len(commits) == 1  # and nothing else was written


def test_when_recording_the_posts_fails_the_update_is_not_saved_either(updates, outbound, declared, engine):
    owe = outbound.owe

    def owe_then_fail(uow, incident_id, posts):
        owe(uow, incident_id, posts)
        raise RuntimeError("the disk is full")

    outbound.owe = owe_then_fail
    _, before = stored(engine, declared.channel_id)
    with pytest.raises(RuntimeError):
        updates.post_update(PostUpdate(TEXT), channel=declared.channel_id, by=BOB)

    incident, entries = stored(engine, declared.channel_id)
    assert entries == before and incident.last_update_at is None
    assert outbox_rows(engine) == []
    assert outbound.delivered == [] and outbound.publications == []


def test_without_a_stakeholder_channel_an_update_owes_only_the_war_room(make_service, outbound, engine):
    service = make_service(stakeholder_channel=None)
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    Updates(service).post_update(PostUpdate(TEXT), channel=room.channel_id, by=ALICE)

    assert [(p.kind, p.channel) for _, p in outbound.owed] == [("update", room.channel_id)]
    assert [(r.kind, r.channel) for r in outbox_rows(engine)] == [("update", room.channel_id)]


def test_an_update_refused_by_the_policy_saves_and_owes_nothing(make_service, outbound, engine):
    service = make_service(policy=Policy(rules={**Policy().rules, "update": frozenset({CAPTAIN})}))
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    _, before = stored(engine, room.channel_id)

    with pytest.raises(NotAllowed, match="may post a status update"):
        Updates(service).post_update(PostUpdate(TEXT), channel=room.channel_id, by=BOB)
    assert stored(engine, room.channel_id)[1] == before
    assert outbox_rows(engine) == [] and outbound.owed == []


def test_an_update_resets_the_count_of_missed_updates(updates, declared, engine, clock):
    with UnitOfWork(engine) as uow:
        incident = uow.incidents.get(declared.id)
        clock.set(incident.next_update_due)
        uow.incidents.save(incident, [incident.update_missed(interval=timedelta(minutes=30), now=clock.now, by="x")])
        uow.commit()
    updates.post_update(PostUpdate(TEXT), channel=declared.channel_id, by=ALICE)
    assert stored(engine, declared.channel_id)[0].missed_updates == 0


# --- snoozing ----------------------------------------------------------------------------------------


def test_a_snooze_asks_again_after_the_snooze(updates, declared, engine, clock):
    clock.set(START + timedelta(minutes=10))  # the update is due at 09:30; the snooze is 5 minutes
    assert updates.snooze(incident_id=declared.id, by=ALICE) == START + timedelta(minutes=15)
    incident, _ = stored(engine, declared.channel_id)
    assert incident.snoozed_until == START + timedelta(minutes=15) and incident.update_prompted is False
    assert incident.next_update_due == START + timedelta(minutes=30)  # the update is still owed at 09:30


def test_a_snooze_never_goes_past_the_updates_due_time(updates, declared, engine, clock):
    clock.set(START + timedelta(minutes=28))
    assert updates.snooze(incident_id=declared.id, by=ALICE) == START + timedelta(minutes=30)
    assert stored(engine, declared.channel_id)[0].snoozed_until == START + timedelta(minutes=30)


def test_a_snooze_tells_whoever_follows_incidents(updates, service, declared):
    seen = []
    service.context.after_save.append(lambda incident: seen.append(incident.snoozed_until))
    until = updates.snooze(incident_id=declared.id, by=ALICE)
    assert seen == [until]


def test_a_resolved_incident_cannot_be_snoozed(updates, service, declared, engine):
    service.resolve(Resolve(), channel=declared.channel_id, by=ALICE)
    with pytest.raises(DomainError, match="no update due"):
        updates.snooze(incident_id=declared.id, by=ALICE)
    incident, _ = stored(engine, declared.channel_id)
    assert incident.status is Status.RESOLVED and incident.snoozed_until is None


def test_snoozing_an_incident_that_does_not_exist_is_refused(updates):
    with pytest.raises(DomainError):
        updates.snooze(incident_id=404, by=ALICE)
