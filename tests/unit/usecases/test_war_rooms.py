"""When Slack takes no posts where an incident is talked about: who is told, once, and the new war room."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import Session
from unit.usecases.fakes import ALICE, BOB, CAROL, DANA, STAKEHOLDERS

from firehouse.commands.incidents import Resolve
from firehouse.commands.notices import DraftNotice
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.permissions import NotAllowed
from firehouse.domain.severity import Severity
from firehouse.domain.war_rooms import StakeholdersUnreachable, WarRoomBack, WarRoomLost, WarRoomMoved
from firehouse.errors import InvalidChange
from firehouse.slack.gateway import Message
from firehouse.store import UnitOfWork
from firehouse.store.destinations import DestinationStore
from firehouse.store.tables import OutboxRow
from firehouse.usecases.destinations import Destinations
from firehouse.usecases.effects import RoomLostNote, StakeholdersLostNote
from firehouse.usecases.notices import NoticeDesk

ADMIN = DANA


@pytest.fixture
def service(make_service):
    return make_service(admins=(ADMIN,))


@pytest.fixture
def notices(service) -> NoticeDesk:
    return NoticeDesk(service=service, templates=TemplateCatalogue.with_override(None))


@pytest.fixture
def destinations(service, notices) -> Destinations:
    return Destinations(service=service, notices=notices)


def declare(service, title: str = "Bot recommends rival products", **more):
    return service.declare(title=title, by=ALICE, severity=Severity.SEV1, **more).incident


def recorded(engine, clock, channel: str, reason: str) -> None:
    """What the outbox does first, before its hook tells the use case: the destination's row."""
    assert DestinationStore(engine).block(channel, reason, now=clock(), probe_at=None)


def owed_to(outbound, *, kind: str) -> list[tuple[int, str, object]]:
    return [(incident_id, post.channel, post.effect) for incident_id, post in outbound.owed if post.kind == kind]


def timeline(service, incident_id: int) -> list[str]:
    with UnitOfWork(service.engine) as uow:
        return [entry.text for entry in uow.incidents.timeline(incident_id) if entry.kind == "war room"]


# --- an archived war room ------------------------------------------------------------------------------------


def test_an_archived_war_room_is_told_once_to_the_captain_and_admins_on_the_timeline_and_to_stakeholders(
        service, destinations, outbound, engine, clock):
    incident = declare(service)
    room = incident.channel_id
    recorded(engine, clock, room, "is_archived")

    destinations.archived(room, by=BOB)  # Slack's event; the fake outbound records the channel and tells no hook
    destinations.blocked(room, "is_archived")  # the outbox's hook
    destinations.blocked(room, "is_archived")  # another sender met the refusal too: told already

    notes = owed_to(outbound, kind="war-room-lost")
    assert [(channel, note.channel, note.reason) for _, channel, note in notes] == [
        (ALICE, room, "is_archived"), (ADMIN, room, "is_archived")]
    assert all(isinstance(note, RoomLostNote) for _, _, note in notes)
    [lost] = [e for e in outbound.published_events if isinstance(e, WarRoomLost)]
    assert lost.archived and lost.channel == room
    assert timeline(service, incident.id) == [
        f"The war room <#{room}> was archived by <@{BOB}>: posts owed there wait; the captain and admins were asked"
        " to unarchive it or open a new war room"]


def test_who_archived_the_room_is_on_the_timeline_when_slack_said(service, destinations, outbound, engine):
    incident = declare(service)
    room = incident.channel_id

    def hook(channel: str, reason: str) -> bool:  # the real outbox records the row, then tells its hook
        recorded(engine, service.clock, channel, reason)
        destinations.blocked(channel, reason)
        return True

    outbound.block = hook
    destinations.archived(room, by=BOB)
    [entry] = timeline(service, incident.id)
    assert f"was archived by <@{BOB}>" in entry


def test_a_resolved_incidents_archived_war_room_tells_nobody_and_gives_up_what_was_owed_there(
        service, destinations, outbound, engine, clock, caplog):
    incident = declare(service)
    service.resolve(Resolve("fixed", waiver="a test"), channel=incident.channel_id, by=ALICE)
    recorded(engine, clock, incident.channel_id, "is_archived")
    caplog.set_level(logging.INFO, logger="firehouse.usecases.destinations")
    destinations.blocked(incident.channel_id, "is_archived")
    assert owed_to(outbound, kind="war-room-lost") == []
    assert not [e for e in outbound.published_events if isinstance(e, WarRoomLost)]
    assert outbound.abandoned == [(incident.channel_id, "is_archived")]
    assert [r.levelno for r in caplog.records] == [logging.INFO]


@pytest.mark.parametrize(("where", "says"), [
    ("war room", "its captain and the admins are told"), ("stakeholders", "stakeholders hear nothing"),
    ("elsewhere", "announcements there are lost until then"),
    ("token", "Firehouse's bot token or account (token_revoked)")])
def test_a_destination_that_needs_a_person_is_one_error_line(service, destinations, engine, clock, caplog, where,
                                                            says):
    channel = {"war room": declare(service).channel_id, "stakeholders": STAKEHOLDERS, "elsewhere": "C0ROUTED",
               "token": "*"}[where]
    recorded(engine, clock, channel, "token_revoked" if where == "token" else "channel_not_found")
    caplog.set_level(logging.INFO, logger="firehouse.usecases.destinations")
    destinations.blocked(channel, "token_revoked" if where == "token" else "channel_not_found")
    [line] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert line.levelno == logging.ERROR and says in line.getMessage()


def test_firehouse_removed_from_a_private_war_room_is_told_without_the_new_room_offer(service, destinations,
                                                                                     outbound, engine, clock):
    incident = declare(service)
    recorded(engine, clock, incident.channel_id, "not_in_channel")
    destinations.blocked(incident.channel_id, "not_in_channel")
    [(_, _, note), _] = owed_to(outbound, kind="war-room-lost")
    assert note.reason == "not_in_channel"
    assert "no longer has Firehouse in it" in timeline(service, incident.id)[0]


def test_a_war_room_taking_posts_again_says_so_on_its_timeline(service, destinations, outbound, engine, clock):
    incident = declare(service)
    outbound.blocked[incident.channel_id] = "is_archived"
    destinations.back(incident.channel_id)
    destinations.cleared(incident.channel_id)  # the outbox's hook, once the record is gone
    assert outbound.owed_sent == 1 and "can post in the war room" in timeline(service, incident.id)[-1]
    assert [e for e in outbound.published_events if isinstance(e, WarRoomBack)]


# --- the stakeholder channel -----------------------------------------------------------------------------------


def test_a_stakeholder_channel_that_takes_no_posts_is_told_in_every_open_war_room_and_to_the_admins_once(
        service, destinations, outbound, engine, clock):
    first, second = declare(service), declare(service, title="Summaries invert advice")
    declare(service, title="Practice", drill=True)
    resolved = declare(service, title="Old one")
    service.resolve(Resolve("fixed", waiver="a test"), channel=resolved.channel_id, by=ALICE)
    recorded(engine, clock, STAKEHOLDERS, "channel_not_found")

    destinations.blocked(STAKEHOLDERS, "channel_not_found")
    destinations.blocked(STAKEHOLDERS, "channel_not_found")

    notes = owed_to(outbound, kind="stakeholders-lost")
    assert sorted((incident_id, channel) for incident_id, channel, _ in notes) == sorted([
        (first.id, first.channel_id), (second.id, second.channel_id)])
    assert all(isinstance(note, StakeholdersLostNote) and note.channel == STAKEHOLDERS for _, _, note in notes)
    assert [(person, note.channel) for person, note in outbound.told_directly] == [(ADMIN, STAKEHOLDERS)]
    events = [e for e in outbound.published_events if isinstance(e, StakeholdersUnreachable)]
    assert len(events) == 2


def test_the_admins_hear_of_the_stakeholder_channel_even_with_no_incident_open(destinations, outbound, engine,
                                                                               clock):
    recorded(engine, clock, STAKEHOLDERS, "is_archived")
    destinations.blocked(STAKEHOLDERS, "is_archived")
    assert [person for person, _ in outbound.told_directly] == [ADMIN] and outbound.owed == []


def test_the_stakeholder_channel_back_says_so_in_every_open_war_room(service, destinations, outbound):
    first, second = declare(service), declare(service, title="Summaries invert advice")
    destinations.cleared(STAKEHOLDERS)
    back = [(p.incident.id, type(e).__name__) for p in outbound.publications for e in p.events]
    assert back == [(first.id, "StakeholdersReachable"), (second.id, "StakeholdersReachable")]


def test_slack_saying_any_other_channel_was_archived_records_nothing(service, destinations, outbound):
    declare(service)
    destinations.archived("C0SOMEWHERE", by=BOB)
    assert outbound.blocked == {} and outbound.abandoned == []


def test_resolving_an_incident_whose_war_room_waits_gives_up_what_waited_there(service, destinations, outbound,
                                                                                engine, clock):
    incident = declare(service)
    recorded(engine, clock, incident.channel_id, "is_archived")
    outcome = service.resolve(Resolve("fixed", waiver="a test"), channel=incident.channel_id, by=ALICE)
    destinations.settled(outcome.incident, outcome.events)
    assert outbound.abandoned == [(incident.channel_id, "is_archived")]


def test_a_resolved_incidents_room_archived_is_given_up_at_once(service, destinations, outbound):
    incident = declare(service)
    service.resolve(Resolve("fixed", waiver="a test"), channel=incident.channel_id, by=ALICE)
    destinations.archived(incident.channel_id, by=BOB)
    assert outbound.abandoned == [(incident.channel_id, "is_archived")] and outbound.blocked == {}


# --- Open a new war room -----------------------------------------------------------------------------------------


def test_a_new_war_room_takes_the_incident_its_members_its_owed_posts_and_its_notices(
        service, destinations, notices, outbound, engine, clock):
    incident = declare(service, class_id="data")  # a private class: the new room is private too
    old = incident.channel_id
    notice = notices.draft(DraftNotice("product"), channel=old, by=ALICE)
    with UnitOfWork(engine) as uow:
        [waiting] = outbound._outbox.add(uow.session, incident.id, [("prompt", old, Message("Update due"), clock())])
        uow.commit()
    outbound.members_of[old] = ["UBOT", ALICE, CAROL]
    recorded(engine, clock, old, "is_archived")

    outcome = destinations.open_new_war_room(incident_id=incident.id, archived=old, by=ADMIN)

    new = outcome.made
    assert outcome.incident.channel_id == new != old
    channel, private = outbound.created[-1]
    assert channel.id == new and private
    assert outbound.invited == [(new, ["UBOT", ALICE, CAROL, ADMIN])]
    with Session(engine) as session:
        assert session.get(OutboxRow, waiting.id).channel == new
    [moved] = [e for e in outbound.published_events if isinstance(e, WarRoomMoved)]
    assert (moved.archived, moved.channel, moved.moved, moved.by) == (old, new, 1, ADMIN)
    assert timeline(service, incident.id)[-1] == (f"Opened the war room <#{new}> in place of the archived <#{old}>;"
                                                  " 1 post owed there follows here")
    assert (notice.id, new) in [(shown.id, where) for shown, where in outbound.notices_shown]
    assert service.incident_in(new).id == incident.id and outbound.owed_sent == 1
    assert old not in DestinationStore(engine).blocked()


def test_a_second_click_opens_no_second_room(service, destinations, outbound, engine, clock):
    incident = declare(service)
    old = incident.channel_id
    recorded(engine, clock, old, "is_archived")
    destinations.open_new_war_room(incident_id=incident.id, archived=old, by=ALICE)
    rooms = len(outbound.created)
    with pytest.raises(InvalidChange, match="carries on in"):
        destinations.open_new_war_room(incident_id=incident.id, archived=old, by=ALICE)
    assert len(outbound.created) == rooms


def test_a_click_while_another_is_opening_the_room_is_refused_until_the_claim_runs_out(
        service, destinations, outbound, engine, clock):
    incident = declare(service)
    old = incident.channel_id
    recorded(engine, clock, old, "is_archived")
    with UnitOfWork(engine) as uow:
        assert uow.destinations.claim_move(old, now=clock(), until=clock() + timedelta(minutes=2))
        uow.commit()
    with pytest.raises(InvalidChange, match="right now"):
        destinations.open_new_war_room(incident_id=incident.id, archived=old, by=ALICE)
    clock.advance(timedelta(minutes=3))
    assert destinations.open_new_war_room(incident_id=incident.id, archived=old, by=ALICE).made


def test_a_failed_channel_creation_lets_someone_try_again_at_once(service, destinations, outbound, engine, clock):
    incident = declare(service)
    old = incident.channel_id
    recorded(engine, clock, old, "is_archived")
    outbound.create_error = "restricted_action"
    with pytest.raises(Exception, match="restricted_action"):
        destinations.open_new_war_room(incident_id=incident.id, archived=old, by=ALICE)
    outbound.create_error = None
    assert destinations.open_new_war_room(incident_id=incident.id, archived=old, by=ALICE).made


@pytest.mark.parametrize("case", ["not archived", "resolved", "not allowed"])
def test_a_new_war_room_is_refused_when_it_is_not_called_for(service, destinations, outbound, engine, clock, case):
    incident = declare(service)
    old = incident.channel_id
    if case != "not archived":
        recorded(engine, clock, old, "is_archived")
    if case == "resolved":
        service.resolve(Resolve("fixed", waiver="a test"), channel=old, by=ALICE)
    rooms = len(outbound.created)
    expected = {"not archived": (InvalidChange, "is not archived"), "resolved": (InvalidChange, "where it ends"),
                "not allowed": (NotAllowed, "fire captain")}[case]
    with pytest.raises(expected[0], match=expected[1]):
        destinations.open_new_war_room(incident_id=incident.id, archived=old, by=BOB if case == "not allowed"
                                       else ALICE)
    assert len(outbound.created) == rooms
