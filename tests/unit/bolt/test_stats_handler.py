"""`/incident stats`: the handler's reply, with the chart shared where the command was typed (or the reason it
could not be)."""

from __future__ import annotations

import struct
from datetime import timedelta
from types import SimpleNamespace

import pytest
from unit.usecases.fakes import ALICE, START, FakeOutbound, SteppedClock

from firehouse.bolt.handlers import Request
from firehouse.bolt.handlers.stats import show_stats
from firehouse.commands.stats import ShowStats
from firehouse.comms import charts
from firehouse.config import Settings
from firehouse.slack.outbound import SlackOutbound
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.stats import Stats

DAY = timedelta(days=1)


# --- the handler ---------------------------------------------------------------------------------------------

@pytest.fixture
def room(fake) -> str:
    return fake.add_channel("incident-review", members=[ALICE])


@pytest.fixture
def services(engine, gateway):
    """An incident declared an hour ago, the numbers over the store, and the outbound side over the fake Slack."""
    clock = SteppedClock(START)
    settings = Settings(bot_token="xoxb-test-token", signing_secret="secret")
    IncidentService(engine=engine, outbound=FakeOutbound(clock=clock), settings=settings, clock=clock).declare(
        title="Ranker recommends rivals", by=ALICE)
    clock.advance(timedelta(hours=1))
    outbound = SlackOutbound(gateway=gateway, outbox=None, settings=settings, templates=None, fan_out=None)
    return SimpleNamespace(stats=Stats(engine=engine, settings=settings, clock=clock), outbound=outbound)


def test_the_reply_has_the_numbers_and_the_chart_is_shared_in_the_channel(fake, room, services):
    reply = show_stats(ShowStats(), Request(user=ALICE, channel=room, trigger_id="1.t", services=services))
    assert reply.text.startswith("Incident numbers, the last 30 days (from 2026-01-31 10:00 UTC to 2026-03-02 10:00"
                                 " UTC), drills excluded: 1 incident, 1 open.")
    assert reply.text.endswith("The weekly chart is posted in this channel.")
    [chart] = fake.files(room)
    assert (chart["name"], chart["title"]) == ("incidents-by-week-2026-03-02.png", "Incidents by week, the last 30 days")
    assert chart["comment"] == ("Incidents by week, the last 30 days (drills excluded): incidents declared, and the"
                                " weekly median times to contain and to resolve.")
    assert png_size(chart["bytes"]) == charts.SIZE


def png_size(image: bytes) -> tuple[int, int]:
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[12:16] == b"IHDR"
    return struct.unpack(">II", image[16:24])


def test_when_the_chart_cannot_be_shared_the_reply_still_has_the_numbers_and_says_why(fake, room, services):
    fake.inject("files.completeUploadExternal", status=200, error="not_in_channel")
    reply = show_stats(ShowStats(), Request(user=ALICE, channel=room, trigger_id="1.t", services=services))
    assert "1 incident, 1 open." in reply.text
    assert reply.text.endswith("The weekly chart could not be posted here (Slack answered `not_in_channel`).")
    assert fake.files(room) == []


def test_a_window_with_no_incidents_shares_no_chart(fake, room, services):
    services.stats.clock.advance(30 * DAY)
    reply = show_stats(ShowStats(7 * DAY, "the last 7 days"),
                         Request(user=ALICE, channel=room, trigger_id="1.t", services=services))
    assert reply.text == ("Incident numbers, the last 7 days (from 2026-03-25 10:00 UTC to 2026-04-01 10:00 UTC),"
                          " drills excluded: 0 incidents, 0 open.")
    assert fake.files(room) == [] and fake.calls("upload") == []
