"""Routing rules through the real wiring against the fake Slack: who is invited and where the incident is
announced, at the declaration (in the briefing's one round trip) and when a change makes a rule match."""

from __future__ import annotations

import pytest
from unit.usecases.fakes import ALICE, BOB, CAROL, DANA

from firehouse.bootstrap import build
from firehouse.commands.incidents import ChangeClass
from firehouse.config import Settings
from firehouse.domain.routing import Rule
from firehouse.domain.severity import Severity

LEGAL = "S0LEGAL01"


@pytest.fixture
def legal_channel(fake) -> str:
    return fake.add_channel("legal-incidents")


@pytest.fixture
def services(engine, gateway, clock, fake, legal_channel):
    fake.add_usergroup(LEGAL, [BOB, CAROL])
    rules = (Rule(name="legal", match={"class": ("data",)}, invite=(LEGAL, DANA), announce=(legal_channel,)),)
    settings = Settings(bot_token=fake.bot_token, signing_secret="s", stakeholder_channel=fake.stakeholders,
                        routing=rules)
    services, _board = build(settings, engine=engine, gateway=gateway, clock=clock)
    yield services
    services.incidents.outbound.fan_out.shutdown()


def texts(fake, channel: str) -> list[str]:
    return [message["text"] for message in fake.messages(channel)]


def test_a_data_incident_invites_legal_and_announces_discreetly_where_the_rule_says(services, fake, legal_channel):
    outcome = services.incidents.declare(title="Tenant A sees tenant B's invoices", by=ALICE, class_id="data",
                                         severity=Severity.SEV1)
    room = outcome.incident.channel_id
    assert outcome.problems == []
    assert {ALICE, BOB, CAROL, DANA} <= fake.channels[room].members
    announced = texts(fake, legal_channel)
    assert len(announced) == 1 and f"#{outcome.incident.id}" in announced[0]
    assert "invoices" not in announced[0]  # a private incident is announced by number only
    kickoff = fake.messages(room)[0]
    assert "Routing legal (class data)" in str(kickoff["blocks"])
    assert len(fake.calls("usergroups.users.list")) == 1


def test_a_user_group_is_read_once_a_minute_however_many_incidents_ask(services, fake):
    for title in ("First leak", "Second leak"):
        services.incidents.declare(title=title, by=ALICE, class_id="data")
    assert len(fake.calls("usergroups.users.list")) == 1


def test_an_output_incident_reclassified_as_data_pulls_legal_in_then(services, fake, legal_channel):
    room = services.incidents.declare(title="Bot quotes another customer", by=ALICE).incident.channel_id
    assert BOB not in fake.channels[room].members and texts(fake, legal_channel) == []

    outcome = services.incidents.change_class(ChangeClass("data"), channel=room, by=ALICE)
    assert [type(event).__name__ for event in outcome.events] == ["ClassChanged", "Routed"]
    assert {BOB, CAROL, DANA} <= fake.channels[room].members
    assert len(texts(fake, legal_channel)) == 1
    assert any("Routing legal" in text for text in texts(fake, room))


def test_a_user_group_slack_does_not_know_is_said_and_the_rest_still_happens(services, fake, legal_channel):
    fake.inject("usergroups.users.list", status=200, error="no_such_subteam", count=5)
    outcome = services.incidents.declare(title="Tenant A sees tenant B's invoices", by=ALICE, class_id="data")
    assert any("user group" in problem and "no_such_subteam" in problem for problem in outcome.problems)
    assert DANA in fake.channels[outcome.incident.channel_id].members
    assert len(texts(fake, legal_channel)) == 1


def test_a_drill_shows_its_routing_and_invites_and_announces_nobody(services, fake, legal_channel):
    outcome = services.incidents.declare(title="Practice leak", by=ALICE, class_id="data", drill=True)
    room = outcome.incident.channel_id
    assert fake.channels[room].members & {BOB, CAROL, DANA} == set()
    assert texts(fake, legal_channel) == []
    assert "(a drill): would invite" in str(fake.messages(room)[0]["blocks"])
