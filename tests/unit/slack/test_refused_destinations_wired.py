"""The whole wiring in-process, against the fake Slack: an announcement that a refusing channel cannot take now is
owed there and goes out once it can, and an archived war room's announcements follow the incident to its new room."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from unit.usecases.fakes import ALICE, BOB, CAROL

from firehouse.bolt.handlers import Services
from firehouse.bootstrap import build
from firehouse.commands.incidents import ChangeSeverity
from firehouse.config import Settings
from firehouse.domain.severity import Severity
from firehouse.store.tables import OutboxRow


@pytest.fixture
def wired(engine, gateway, clock, fake):
    settings = Settings(bot_token=fake.bot_token, signing_secret="s", stakeholder_channel=fake.stakeholders,
                        admins=(BOB,))
    services, board = build(settings, engine=engine, gateway=gateway, clock=clock)
    yield services, board.outbox
    services.incidents.outbound.fan_out.shutdown()


def declared(services: Services, title: str = "Support bot invents a refund policy"):
    return services.incidents.declare(title=title, by=ALICE).incident


def texts(fake, channel: str) -> list[str]:
    return [m["text"] for m in fake.messages(channel)]


def announcements(engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(row.channel, row.text) for row in session.exec(select(OutboxRow).where(
            OutboxRow.kind == "announcement"))]


def test_a_stakeholder_announcement_refused_for_good_is_owed_and_sent_once_the_channel_takes_posts(wired, fake,
                                                                                                  engine):
    services, outbox = wired
    incident = declared(services)
    fake.archive(fake.stakeholders, by=CAROL)

    outcome = services.incidents.change_severity(ChangeSeverity(Severity.SEV1, reason="customers affected"),
                                                 channel=incident.channel_id, by=ALICE)

    assert outcome.problems == []  # nothing lost, so nothing to apologise for: it waits
    [(channel, text)] = announcements(engine)
    assert channel == fake.stakeholders and "is now *SEV1*" in text
    assert len([m for m in fake.dms(BOB) if "Stakeholders are not hearing" in m["text"]]) == 1
    assert any("Stakeholders are not hearing" in t for t in texts(fake, incident.channel_id))
    services.incidents.change_severity(ChangeSeverity(Severity.SEV2, reason="contained"), channel=incident.channel_id,
                                       by=ALICE)
    # the declaration's announcement, then the one refusal that recorded the channel: no call since
    assert len(announcements(engine)) == 2 and len(fake.calls_to(fake.stakeholders, "chat.postMessage")) == 2

    fake.unarchive(fake.stakeholders, by=CAROL)
    services.destinations.back(fake.stakeholders)
    said = [t for t in texts(fake, fake.stakeholders) if "is now" in t]
    assert len(said) == 2 and "SEV1" in said[0] and "SEV2" in said[1]


def test_an_archived_war_rooms_announcements_follow_the_incident_to_its_new_room(wired, fake, engine, gateway):
    services, outbox = wired
    incident = declared(services)
    old = incident.channel_id
    gateway.invite(old, [CAROL])
    fake.archive(old, by=CAROL)
    services.destinations.archived(old, by=CAROL)

    services.incidents.change_severity(ChangeSeverity(Severity.SEV1, reason="rolled the prompt back"), channel=old,
                                       by=ALICE)
    owed_before = announcements(engine)
    moved = services.destinations.open_new_war_room(incident_id=incident.id, archived=old, by=ALICE)

    new = moved.made
    assert [channel for channel, _ in owed_before] == [old]  # the stakeholders heard it at once
    assert [t for t in texts(fake, new) if "rolled the prompt back" in t]
    assert not [t for t in texts(fake, old) if "rolled the prompt back" in t]
    assert fake.channels[new].name == f"{fake.channels[old].name}-2"
    assert {ALICE, CAROL} <= fake.channels[new].members
