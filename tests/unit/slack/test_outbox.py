"""The outbox's contract against the fake Slack: nothing lost, nothing doubled, one write before a send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session
from unit.usecases.fakes import ALICE, START

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.slack.gateway import Message, SlackGateway, make_client
from firehouse.slack.outbox import CLAIM, METADATA_EVENT, Outbox
from firehouse.store import UnitOfWork
from firehouse.store.mapping import as_utc
from firehouse.store.tables import OutboxRow


@pytest.fixture
def room(fake) -> str:
    return fake.add_channel("inc-20260302-bot-recommends-rival-products", members=[ALICE])


@pytest.fixture
def incident_id(engine, room) -> int:
    incident, declared = Incident.declare(title="Bot recommends rival products", severity=Severity.SEV2,
                                          incident_class=DEFAULT_CLASSES["output"], by=ALICE, at=START)
    incident.channel_id, incident.channel_name = room, "inc-20260302-bot-recommends-rival-products"
    with UnitOfWork(engine) as uow:
        uow.incidents.add(incident, [declared])
        uow.commit()
    return incident.id


@pytest.fixture
def outbox(engine, gateway, clock) -> Outbox:
    return Outbox(engine=engine, gateway=gateway, clock=clock)


def owe(engine, outbox: Outbox, incident_id: int, channel: str, text: str = "Update owed at 09:30") -> OutboxRow:
    """Record one post in its own transaction, as a use case or the board's tick does."""
    with UnitOfWork(engine) as uow:
        [row] = outbox.add(uow.session, incident_id, [("prompt", channel, Message(text=text), START)])
        uow.commit()
    return row


def row_now(engine, row_id: int) -> OutboxRow:
    with Session(engine) as session:
        return session.get(OutboxRow, row_id)


def test_a_post_is_recorded_already_claimed_and_stamped_as_attempted(engine, outbox, incident_id, room, clock):
    row = owe(engine, outbox, incident_id, room)
    stored = row_now(engine, row.id)
    assert as_utc(stored.claimed_until) == START + CLAIM and as_utc(stored.attempted_at) == START
    assert stored.attempts == 1 and stored.sent_at is None and stored.ts is None


def test_a_delivered_post_carries_its_outbox_key_and_is_confirmed_only_in_memory_until_confirm(
        engine, outbox, incident_id, room, fake, clock):
    row = owe(engine, outbox, incident_id, room)
    clock.advance(timedelta(seconds=2))

    assert outbox.deliver([row]) == 1

    [message] = fake.messages(room)
    assert message["text"] == "Update owed at 09:30"
    assert message["metadata"] == {"event_type": METADATA_EVENT, "event_payload": {"outbox_key": row.key}}
    assert row_now(engine, row.id).sent_at is None  # sent, not yet written down

    outbox.confirm()

    stored = row_now(engine, row.id)
    assert as_utc(stored.sent_at) == clock.now and stored.ts == message["ts"] and stored.error == ""


def test_the_next_transaction_writes_down_what_was_confirmed(engine, outbox, incident_id, room, fake):
    first = owe(engine, outbox, incident_id, room)
    outbox.deliver([first])

    second = owe(engine, outbox, incident_id, room, text="Reminder")

    assert row_now(engine, first.id).ts == fake.messages(room)[0]["ts"]
    assert row_now(engine, second.id).sent_at is None


def test_confirm_with_nothing_to_write_down_writes_nothing(engine, outbox, incident_id, room):
    owe(engine, outbox, incident_id, room)
    commits = []
    event.listen(engine, "commit", lambda connection: commits.append(1))
    outbox.confirm()
    assert commits == []


@pytest.fixture(params=["slack error", "server error"])
def failing(request, fake):
    """A gateway whose next post fails: Slack refuses it (not retried), or answers 500 (retries off)."""
    if request.param == "slack error":
        fake.inject("chat.postMessage", status=200, error="fatal_error")
        return SlackGateway(make_client(token=fake.bot_token, base_url=fake.api_url)), "fatal_error"
    fake.inject("chat.postMessage", status=500)
    return SlackGateway(make_client(token=fake.bot_token, base_url=fake.api_url, retries=0)), "internal_error"


def test_a_failed_send_waits_its_backoff_records_the_error_and_a_sweep_sends_it_once(engine, incident_id, room,
                                                                                    fake, clock, failing):
    gateway, error = failing
    outbox = Outbox(engine=engine, gateway=gateway, clock=clock)
    row = owe(engine, outbox, incident_id, room)

    assert outbox.deliver([row]) == 0

    stored = row_now(engine, row.id)
    assert stored.claimed_until is None and as_utc(stored.next_at) == START + timedelta(seconds=10)
    assert stored.error == error and stored.sent_at is None
    assert fake.messages(room) == []
    assert outbox.sweep() == 0

    clock.advance(timedelta(seconds=11))
    assert outbox.sweep() == 1
    outbox.confirm()
    assert outbox.sweep() == 0

    [message] = fake.messages(room)
    stored = row_now(engine, row.id)
    assert stored.ts == message["ts"] and as_utc(stored.sent_at) == clock.now
    assert stored.attempts == 2 and stored.error == ""


def test_a_post_sent_but_not_written_down_before_a_crash_is_found_in_the_history_and_not_sent_again(
        engine, gateway, incident_id, room, fake, clock):
    before_crash = Outbox(engine=engine, gateway=gateway, clock=clock)
    row = owe(engine, before_crash, incident_id, room)
    before_crash.deliver([row])
    del before_crash  # the process dies with the confirmation in memory

    clock.advance(timedelta(seconds=30))
    after_restart = Outbox(engine=engine, gateway=gateway, clock=clock)
    after_restart.release_claims()
    assert after_restart.sweep() == 1
    after_restart.confirm()

    [message] = fake.messages(room)
    assert len(fake.calls("chat.postMessage")) == 1
    stored = row_now(engine, row.id)
    assert stored.ts == message["ts"] and as_utc(stored.sent_at) == clock.now
    assert after_restart.sweep() == 0 and len(fake.messages(room)) == 1


def test_a_post_recorded_but_never_sent_before_a_crash_is_sent_once_after_the_restart(engine, gateway,
                                                                                      incident_id, room, fake,
                                                                                      clock):
    before_crash = Outbox(engine=engine, gateway=gateway, clock=clock)
    row = owe(engine, before_crash, incident_id, room)
    del before_crash  # died between the commit and the send

    after_restart = Outbox(engine=engine, gateway=gateway, clock=clock)
    after_restart.release_claims()
    assert after_restart.sweep() == 1
    assert after_restart.sweep() == 0  # held by this process now, until it confirms or the claim runs out
    after_restart.confirm()

    [message] = fake.messages(room)
    assert message["metadata"]["event_payload"] == {"outbox_key": row.key}
    assert after_restart.sweep() == 0 and len(fake.messages(room)) == 1


def test_a_sweep_leaves_a_row_another_sender_holds_until_its_claim_runs_out(engine, gateway, incident_id, room,
                                                                           fake, clock):
    holder = Outbox(engine=engine, gateway=gateway, clock=clock)
    owe(engine, holder, incident_id, room)  # claimed by `holder`, which is busy sending it
    other = Outbox(engine=engine, gateway=gateway, clock=clock)

    clock.advance(CLAIM - timedelta(seconds=1))
    assert other.sweep() == 0 and fake.messages(room) == []

    clock.advance(timedelta(seconds=2))
    assert other.sweep() == 1
    assert len(fake.messages(room)) == 1


def test_a_confirmed_post_is_never_swept_again(engine, outbox, incident_id, room, fake, clock):
    row = owe(engine, outbox, incident_id, room)
    outbox.deliver([row])
    outbox.confirm()
    clock.advance(CLAIM * 2)
    outbox.release_claims()
    assert outbox.sweep() == 0 and len(fake.messages(room)) == 1
