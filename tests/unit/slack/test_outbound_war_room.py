"""What the war room's channel shows after a change, through the real wiring against the fake Slack: the topic
follows the incident to closed, and inviting someone already there is no failure."""

from __future__ import annotations

import logging

import pytest
from unit.usecases.fakes import ALICE, BOB

from firehouse.commands.afteraction import Close
from firehouse.commands.incidents import AssignRole, HandOver, Resolve
from firehouse.bolt.handlers import Services
from firehouse.bootstrap import build
from firehouse.config import Settings
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident, NotLocked
from firehouse.store import UnitOfWork


@pytest.fixture
def services(engine, gateway, clock, fake):
    settings = Settings(bot_token=fake.bot_token, signing_secret="s", stakeholder_channel=fake.stakeholders,
                        admins=(ALICE,))
    services, board = build(settings, engine=engine, gateway=gateway, clock=clock)
    yield services
    services.incidents.outbound.fan_out.shutdown()


def declared(services: Services) -> Incident:
    return services.incidents.declare(title="Support bot invents a refund policy", by=ALICE).incident


def stored(engine, incident: Incident) -> Incident:
    with UnitOfWork(engine) as uow:
        return uow.incidents.get(incident.id)


def test_closing_an_incident_sets_the_war_rooms_topic_to_closed(services, fake, engine):
    incident = declared(services)
    room = incident.channel_id
    services.incidents.resolve(Resolve("rolled the prompt back"), channel=room, by=ALICE)
    assert fake.channels[room].topic == f"SEV3 · output · Fire captain: <@{ALICE}> · resolved"

    outcome = services.afteraction.close(Close(waiver="a tester's typo, nothing to learn"), channel=room, by=ALICE)
    assert outcome.problems == []
    assert stored(engine, incident).status is Status.CLOSED
    assert fake.channels[room].topic == f"SEV3 · output · Fire captain: <@{ALICE}> · closed"


def test_a_refused_close_leaves_the_topic_as_it_was(services, fake):
    incident = declared(services)
    room = incident.channel_id
    services.incidents.resolve(Resolve("rolled the prompt back"), channel=room, by=ALICE)
    topics = len(fake.calls("conversations.setTopic"))
    with pytest.raises(NotLocked):
        services.afteraction.close(Close(), channel=room, by=ALICE)
    assert len(fake.calls("conversations.setTopic")) == topics
    assert fake.channels[room].topic.endswith(" · resolved")


def test_handing_the_captain_role_to_someone_in_the_war_room_is_no_failure(services, fake, caplog):
    incident = declared(services)
    room = incident.channel_id
    services.incidents.assign_role(AssignRole("scribe", BOB), channel=room, by=ALICE)
    assert BOB in fake.channels[room].members

    caplog.set_level(logging.INFO)
    outcome = services.incidents.hand_over(HandOver(BOB), channel=room, by=ALICE)
    assert outcome.problems == []
    assert [call.error for call in fake.calls("conversations.invite") if call.args.get("users") == BOB] == [
        None, "already_in_channel"]  # asked twice: Slack says he is there, which is what was wanted
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert fake.channels[room].topic == f"SEV3 · output · Fire captain: <@{BOB}> · investigating"
