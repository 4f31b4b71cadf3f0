"""What the outbox does with each kind of refusal, against the fake Slack answering as Slack documents:
transient posts wait for a backoff, a public channel is joined, a destination that needs a person is recorded
once and costs no calls while it waits, a message Slack never takes is given up, and a post of the same kind
supersedes one still owed."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from unit.usecases.fakes import ALICE, GONE, START

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.slack.gateway import Message, SlackGateway, make_client
from firehouse.slack.outbox import AWAY_LONGEST, GIVE_UP, PROBE_FIRST, PROBE_LONGEST, Outbox
from firehouse.store import UnitOfWork
from firehouse.store.destinations import WORKSPACE
from firehouse.store.outbox import OutboxStore
from firehouse.store.tables import DestinationRow, OutboxRow

SECOND = timedelta(seconds=1)


@pytest.fixture
def quick(fake) -> SlackGateway:
    """The gateway with slack_sdk's retries off, so a transient failure is the outbox's to handle at once."""
    return SlackGateway(make_client(token=fake.bot_token, base_url=fake.api_url, retries=0))


@pytest.fixture
def outbox(engine, quick, clock) -> Outbox:
    return Outbox(engine=engine, gateway=quick, clock=clock)


@pytest.fixture
def told(outbox) -> list[tuple[str, str]]:
    """What the outbox's hooks heard: ("blocked", channel, reason), ("cleared", channel), ("given up", reason)."""
    heard: list = []
    outbox.on_blocked.append(lambda channel, reason: heard.append(("blocked", channel, reason)))
    outbox.on_cleared.append(lambda channel: heard.append(("cleared", channel)))
    outbox.on_given_up.append(lambda reason: heard.append(("given up", reason)))
    return heard


def declare(engine, room: str, title: str = "Bot recommends rival products") -> int:
    incident, declared = Incident.declare(title=title, severity=Severity.SEV1, incident_class=DEFAULT_CLASSES["output"],
                                          by=ALICE, at=START)
    incident.channel_id, incident.channel_name = room, f"inc-{room.lower()}"
    with UnitOfWork(engine) as uow:
        uow.incidents.add(incident, [declared])
        uow.commit()
    return incident.id


def owe(engine, outbox: Outbox, incident_id: int, channel: str, text: str, kind: str = "update") -> OutboxRow:
    with UnitOfWork(engine) as uow:
        [row] = outbox.add(uow.session, incident_id, [(kind, channel, Message(text=text), outbox.clock())])
        uow.commit()
    return row


def rows(engine) -> dict[int, OutboxRow]:
    with Session(engine) as session:
        return {row.id: row for row in session.exec(select(OutboxRow))}


def texts(fake, channel: str) -> list[str]:
    return [m["text"] for m in fake.messages(channel)]


def posts_to(fake, channel: str) -> int:
    return len(fake.calls_to(channel, "chat.postMessage"))


# --- repairable ------------------------------------------------------------------------------------------


def test_a_public_channel_that_removed_firehouse_is_joined_once_and_the_post_sent_once(engine, outbox, fake, told):
    room = fake.add_channel("inc-1-rival-products", members=[ALICE])
    incident = declare(engine, room)
    fake.kick(room)

    assert outbox.deliver([owe(engine, outbox, incident, room, "Rival links removed from answers")]) == 1

    assert texts(fake, room) == ["Rival links removed from answers"]
    assert len(fake.calls("conversations.join")) == 1 and posts_to(fake, room) == 2  # refused, then sent
    assert told == [] and outbox.destinations.blocked() == {}


# --- needs a person ----------------------------------------------------------------------------------------


def test_a_private_channel_that_removed_firehouse_is_recorded_once_and_costs_no_calls_while_it_waits(
        engine, outbox, fake, clock, told, caplog):
    room = fake.add_channel("inc-2-leak", is_private=True, members=[ALICE])
    incident = declare(engine, room)
    fake.kick(room)  # Slack hides a private channel from an app that is not in it: channel_not_found
    caplog.set_level(logging.INFO, logger="firehouse.slack.outbox")

    first = owe(engine, outbox, incident, room, "Update one")
    assert outbox.deliver([first]) == 0
    second = owe(engine, outbox, incident, room, "Update two")
    assert outbox.deliver([second]) == 0  # waits behind the first, without asking Slack
    for _ in range(9):  # 45 seconds of sweeps
        clock.advance(5 * SECOND)
        assert outbox.sweep() == 0

    assert posts_to(fake, room) == 1 and told == [("blocked", room, "channel_not_found")]
    stored = rows(engine)
    assert stored[first.id].error == "channel_not_found" and stored[first.id].given_up_at is None
    assert stored[second.id].sent_at is None and stored[second.id].given_up_at is None
    assert [r.getMessage() for r in caplog.records] == [
        f"recorded that Slack takes no posts in {room} until a person acts (channel_not_found)"]  # how loud: the hook

    fake.invite_bot(room, by=ALICE)  # Slack says so with member_joined_channel: the listener unblocks
    assert outbox.unblock(room) is True
    assert outbox.sweep() == 2
    assert texts(fake, room) == ["Update one", "Update two"]
    assert told[-1] == ("cleared", room)


def test_a_destination_that_still_refuses_is_tried_again_once_per_backoff_and_the_backoff_grows(
        engine, outbox, fake, clock, told):
    room = fake.add_channel("inc-3-archived", members=[ALICE])
    incident = declare(engine, room)
    fake.archive(room, by=ALICE)
    outbox.deliver([owe(engine, outbox, incident, room, "Update")])
    calls = []
    for _ in range(6):  # the first try, then one at each backoff's end: 1, 2 and 4 minutes later
        calls.append(posts_to(fake, room))
        clock.advance(PROBE_FIRST)
        outbox.sweep()
    assert calls == [1, 2, 2, 3, 3, 3]
    [recorded] = outbox.destinations.blocked().values()
    assert recorded.reason == "is_archived" and recorded.probes == 2
    assert told == [("blocked", room, "is_archived")]


def test_a_new_process_keeps_a_recorded_destination_waiting_and_a_new_leader_tries_it_at_once(
        engine, quick, fake, clock):
    room = fake.add_channel("inc-4-archived", members=[ALICE])
    incident = declare(engine, room)
    fake.archive(room, by=ALICE)
    before = Outbox(engine=engine, gateway=quick, clock=clock)
    before.deliver([owe(engine, before, incident, room, "Update")])

    after = Outbox(engine=engine, gateway=quick, clock=clock)  # the process was killed and started again
    assert after.sweep() == 0 and posts_to(fake, room) == 1
    fake.unarchive(room, by=ALICE)
    after.retry_blocked()  # what the board does on taking the lead
    assert after.sweep() == 1 and texts(fake, room) == ["Update"]
    assert after.destinations.blocked() == {}


def test_a_revoked_token_holds_every_channel_and_only_auth_test_is_asked_until_it_works(engine, outbox, fake,
                                                                                       clock, told):
    room = fake.add_channel("inc-5-revoked", members=[ALICE])
    incident = declare(engine, room)
    fake.revoke_token()
    outbox.deliver([owe(engine, outbox, incident, room, "Update")])
    outbox.deliver([owe(engine, outbox, incident, fake.stakeholders, "For stakeholders")])
    clock.advance(PROBE_FIRST)
    outbox.sweep()  # its turn: auth.test, still refused

    assert [c.method for c in fake.calls()] == ["chat.postMessage", "auth.test"]
    assert told == [("blocked", WORKSPACE, "token_revoked")]
    fake.restore_token()
    clock.advance(2 * PROBE_FIRST)
    assert outbox.sweep() == 2
    assert texts(fake, room) == ["Update"] and texts(fake, fake.stakeholders) == ["For stakeholders"]
    assert told[-1] == ("cleared", WORKSPACE)


def test_a_direct_message_to_someone_slack_cannot_reach_is_given_up_not_held(engine, outbox, fake, told):
    room = fake.add_channel("inc-6-dm", members=[ALICE])
    incident = declare(engine, room)
    row = owe(engine, outbox, incident, GONE, "Your follow-up is overdue", kind="follow-up")
    assert outbox.deliver([row]) == 0
    assert rows(engine)[row.id].given_up_at is not None
    assert told == [("given up", "channel_not_found")] and outbox.destinations.blocked() == {}


# --- permanent for this message ----------------------------------------------------------------------------


def test_a_message_slack_will_never_take_is_given_up_and_the_next_post_goes_on(engine, outbox, fake, clock, told):
    room = fake.add_channel("inc-7-too-long", members=[ALICE])
    incident = declare(engine, room)
    fake.inject("chat.postMessage", status=200, error="msg_too_long")
    refused = owe(engine, outbox, incident, room, "An update far too long")
    assert outbox.deliver([refused]) == 0
    assert outbox.deliver([owe(engine, outbox, incident, room, "The next update")]) == 1
    outbox.confirm()
    clock.advance(timedelta(minutes=5))
    assert outbox.sweep() == 0

    assert texts(fake, room) == ["The next update"] and posts_to(fake, room) == 2
    stored = rows(engine)[refused.id]
    assert stored.given_up_at is not None and stored.error == "msg_too_long: permanent"
    assert told == [("given up", "msg_too_long")]


# --- transient ---------------------------------------------------------------------------------------------


def test_an_outage_holds_every_post_for_a_backoff_then_sends_them_in_order_once(engine, outbox, fake, clock,
                                                                              caplog):
    room = fake.add_channel("inc-8-outage", members=[ALICE])
    incident = declare(engine, room)
    caplog.set_level(logging.INFO, logger="firehouse.slack.outbox")
    fake.go_down()
    assert outbox.deliver([owe(engine, outbox, incident, room, "First")]) == 0
    assert outbox.deliver([owe(engine, outbox, incident, room, "Second")]) == 0  # inside the backoff: no call
    assert posts_to(fake, room) == 1
    for _ in range(6):
        clock.advance(AWAY_LONGEST)
        outbox.sweep()
    tried = posts_to(fake, room)
    assert tried <= 7, "one try per backoff, never one per post per sweep"
    fake.come_back()
    clock.advance(AWAY_LONGEST)

    assert outbox.sweep() == 2
    assert texts(fake, room) == ["First", "Second"]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "Slack is not taking posts (http_5xx); they wait and are tried again with backoff"]
    assert any(r.getMessage().startswith("Slack takes posts again") for r in caplog.records)


def test_a_new_post_waits_behind_an_older_one_of_its_channel_and_follows_it(engine, outbox, fake, clock):
    room = fake.add_channel("inc-9-order", members=[ALICE])
    incident = declare(engine, room)
    fake.inject("chat.postMessage", status=503)
    outbox.deliver([owe(engine, outbox, incident, room, "Older")])
    clock.advance(AWAY_LONGEST)

    assert outbox.deliver([owe(engine, outbox, incident, room, "Newer")]) == 2
    assert texts(fake, room) == ["Older", "Newer"]


def test_a_post_still_owed_a_day_after_it_was_due_is_given_up(engine, outbox, fake, clock, told):
    room = fake.add_channel("inc-10-day", members=[ALICE])
    incident = declare(engine, room)
    fake.go_down()
    row = owe(engine, outbox, incident, room, "Stale")
    outbox.deliver([row])
    clock.advance(GIVE_UP + SECOND)

    assert outbox.sweep() == 0 and texts(fake, room) == []
    stored = rows(engine)[row.id]
    assert stored.given_up_at is not None and stored.error.startswith("still owed a day after it was due")
    assert told == [("given up", "http_5xx")]


# --- superseded ----------------------------------------------------------------------------------------------


def test_a_later_post_of_the_same_kind_supersedes_one_still_owed_and_a_persons_update_never_is(
        engine, outbox, fake, clock, told, caplog):
    room = fake.add_channel("inc-11-catch-up", members=[ALICE])
    incident = declare(engine, room)
    other = declare(engine, fake.add_channel("inc-12-other"), title="Another incident")
    fake.go_down()
    owed = {}
    for kind, text in (("prompt", "prompt 1"), ("update", "Alice's update"), ("silence", "no news 1"),
                       ("prompt", "prompt 2"), ("reminder", "reminder 1"), ("silence", "no news 2"),
                       ("update", "Bob's update")):
        owed[text] = owe(engine, outbox, incident, room, text, kind=kind)
        outbox.deliver([owed[text]])
        clock.advance(AWAY_LONGEST)
    untouched = owe(engine, outbox, other, room, "the other incident's prompt", kind="prompt")
    outbox.deliver([untouched, owe(engine, outbox, incident, fake.stakeholders, "no news for stakeholders",
                                   kind="silence")])
    fake.come_back()
    clock.advance(AWAY_LONGEST)
    outbox.sweep()

    assert texts(fake, room) == ["Alice's update", "Bob's update", "the other incident's prompt"]
    stored = rows(engine)
    superseded = {text: stored[row.id].superseded_by for text, row in owed.items()}
    assert superseded == {"prompt 1": owed["Alice's update"].id, "Alice's update": None,
                          "no news 1": owed["no news 2"].id, "prompt 2": owed["reminder 1"].id,
                          "reminder 1": owed["Bob's update"].id, "no news 2": owed["Bob's update"].id,
                          "Bob's update": None}
    assert stored[untouched.id].superseded_by is None
    assert texts(fake, fake.stakeholders) == ["no news for stakeholders"]
    assert told.count(("given up", "superseded")) == 5
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an outage is one WARNING, not an error"


def test_a_post_on_its_way_to_slack_is_never_superseded(engine, outbox, fake):
    room = fake.add_channel("inc-13-in-flight", members=[ALICE])
    incident = declare(engine, room)
    held = owe(engine, outbox, incident, room, "reminder 1", kind="reminder")  # recorded, held, not yet sent
    owe(engine, outbox, incident, room, "reminder 2", kind="reminder")
    assert rows(engine)[held.id].superseded_by is None


def test_a_destination_row_is_written_once_however_many_senders_meet_the_refusal(engine, quick, fake, clock):
    room = fake.add_channel("inc-14-race", members=[ALICE])
    senders = [Outbox(engine=engine, gateway=quick, clock=clock) for _ in range(3)]
    heard = []
    for sender in senders:
        sender.on_blocked.append(lambda channel, reason: heard.append(channel))
    assert [sender.block(room, "is_archived") for sender in senders] == [True, False, False]
    assert heard == [room]
    with Session(engine) as session:
        assert len(session.exec(select(DestinationRow)).all()) == 1


def test_a_channel_abandoned_gives_up_what_was_owed_there_and_is_forgotten(engine, outbox, fake, told):
    room = fake.add_channel("inc-15-resolved", members=[ALICE])
    incident = declare(engine, room)
    fake.archive(room, by=ALICE)
    outbox.deliver([owe(engine, outbox, incident, room, "Lock nudge", kind="lock-nudge")])
    outbox.deliver([owe(engine, outbox, incident, room, "Follow-up", kind="follow-up")])

    assert outbox.abandon(room, "is_archived") == 2
    assert outbox.destinations.blocked() == {} and outbox.sweep() == 0
    assert [row.error for row in rows(engine).values()] == ["is_archived: nothing more will be sent there"] * 2
    assert told[1:] == [("given up", "is_archived")] * 2


def test_two_threads_of_one_process_keep_a_channels_order(engine, outbox, fake, clock):
    room = fake.add_channel("inc-16-order", members=[ALICE])
    incident = declare(engine, room)
    fake.set_latency("chat.postMessage", 0.3)
    first = owe(engine, outbox, incident, room, "Alice's update")
    sending = threading.Thread(target=outbox.deliver, args=([first],))
    sending.start()
    time.sleep(0.1)  # the first post is on its way
    second = owe(engine, outbox, incident, room, "No new information", kind="silence")
    outbox.deliver([second])
    sending.join()
    assert texts(fake, room) == ["Alice's update", "No new information"]


def test_a_post_another_process_holds_is_left_to_it_and_holds_up_no_one(engine, outbox, fake, clock):
    room = fake.add_channel("inc-16-dead", members=[ALICE])
    incident = declare(engine, room)
    fake.go_down()
    held = owe(engine, outbox, incident, room, "held by a process that died")
    outbox.deliver([held])
    fake.come_back()
    clock.advance(AWAY_LONGEST)
    assert OutboxStore(engine).claim(held.id, now=clock(), until=clock() + timedelta(minutes=2))

    assert outbox.deliver([owe(engine, outbox, incident, room, "the next update")]) == 1
    assert texts(fake, room) == ["the next update"]
    outbox.confirm()
    clock.advance(timedelta(minutes=3))  # the dead process's claim runs out: what it held is sent
    assert outbox.sweep() == 1 and texts(fake, room) == ["the next update", "held by a process that died"]


def test_a_post_slack_answers_with_an_error_of_its_own_holds_only_its_channel(engine, outbox, fake, clock):
    stuck, other = fake.add_channel("inc-17-stuck", members=[ALICE]), fake.add_channel("inc-17-other")
    incident = declare(engine, stuck)
    fake.inject("chat.postMessage", status=200, error="fatal_error")
    held = owe(engine, outbox, incident, stuck, "stuck")
    outbox.deliver([held])
    assert outbox.deliver([owe(engine, outbox, incident, stuck, "after it")]) == 0  # waits behind it
    for n in range(2):  # the other channel's posts go, at once and with each sweep, while `stuck` waits
        outbox.deliver([owe(engine, outbox, incident, other, f"goes {n}")])
        clock.advance(timedelta(seconds=4))
        outbox.sweep()
    assert texts(fake, other) == ["goes 0", "goes 1"] and texts(fake, stuck) == []
    assert posts_to(fake, stuck) == 1 and rows(engine)[held.id].error == "fatal_error"
    clock.advance(timedelta(seconds=5))  # its backoff is over: it goes, and what waited behind it
    outbox.sweep()
    assert texts(fake, stuck) == ["stuck", "after it"]


def test_a_missing_scope_is_tried_again_with_a_post_not_auth_test_and_told_once(engine, outbox, fake, clock, told):
    room = fake.add_channel("inc-18-scope", members=[ALICE])
    incident = declare(engine, room)
    fake.inject("chat.postMessage", status=200, error="missing_scope", count=6)
    outbox.deliver([owe(engine, outbox, incident, room, "Update")])
    for _ in range(5):
        clock.advance(PROBE_LONGEST)
        outbox.sweep()
    assert fake.calls("auth.test") == [] and told == [("blocked", WORKSPACE, "missing_scope")]
    clock.advance(PROBE_LONGEST)
    assert outbox.sweep() == 1 and texts(fake, room) == ["Update"]
    assert told[-1] == ("cleared", WORKSPACE)


def test_a_join_slack_does_not_answer_is_transient_not_a_persons_to_fix(engine, outbox, fake, clock, told):
    room = fake.add_channel("inc-19-join", members=[ALICE])
    incident = declare(engine, room)
    fake.kick(room)
    fake.inject("conversations.join", status=503)
    assert outbox.deliver([owe(engine, outbox, incident, room, "Update")]) == 0
    assert told == [] and outbox.destinations.blocked() == {}
    clock.advance(AWAY_LONGEST)
    assert outbox.sweep() == 1 and texts(fake, room) == ["Update"]


def test_a_join_refused_for_a_private_channel_is_a_persons_to_fix(engine, outbox, fake, told):
    room = fake.add_channel("inc-20-private-join", members=[ALICE])
    incident = declare(engine, room)
    fake.inject("chat.postMessage", status=200, error="not_in_channel")
    fake.inject("conversations.join", status=200, error="method_not_supported_for_channel_type")
    assert outbox.deliver([owe(engine, outbox, incident, room, "Update")]) == 0
    assert told == [("blocked", room, "not_in_channel")]


def test_a_post_superseded_while_it_was_held_is_given_up_as_it_comes_to_be_sent(engine, outbox, fake, clock, told):
    room = fake.add_channel("inc-21-stale", members=[ALICE])
    incident = declare(engine, room)
    fake.go_down()
    stale = owe(engine, outbox, incident, room, "prompt for 09:00", kind="prompt")
    outbox.deliver([stale])
    other = OutboxStore(engine)
    assert other.claim(stale.id, now=clock(), until=clock() + timedelta(seconds=1))  # on its way when the next came
    current = owe(engine, outbox, incident, room, "prompt for 09:15", kind="prompt")
    outbox.deliver([current])
    fake.come_back()
    clock.advance(AWAY_LONGEST)

    outbox.sweep()
    assert texts(fake, room) == ["prompt for 09:15"]
    assert rows(engine)[stale.id].superseded_by == current.id
    assert told == [("given up", "superseded")]


def test_a_revoked_token_met_in_one_channel_stops_the_others_of_the_same_delivery(engine, outbox, fake, clock):
    room = fake.add_channel("inc-22-halt", members=[ALICE])
    incident = declare(engine, room)
    fake.revoke_token()
    with UnitOfWork(engine) as uow:
        owed = outbox.add(uow.session, incident, [("update", room, Message("war room"), clock()),
                                                  ("update", fake.stakeholders, Message("stakeholders"), clock())])
        uow.commit()
    assert outbox.deliver(owed) == 0
    assert len(fake.calls("chat.postMessage")) == 1
