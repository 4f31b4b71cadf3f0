"""The real Alertmanager path: Debian's prometheus-alertmanager on 127.0.0.1, its webhook receiver pointing at
the real `firehouse serve` with the bearer token, alerts fired and resolved with `amtool alert add`."""

from __future__ import annotations

import re
import sqlite3
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from alertmanagerserver import AlertmanagerUnavailable, alertmanager_server, skip_or_fail
from botprocess import BotProcess

from warroom import BOB, Room

TOKEN = "amtool-token-0123456789abcdef"
CONFIG = """stakeholder_channel = "{stakeholders}"

[alerts]
captain = "UBOB"

[[alerts.rules]]
match = {{ ai_class = "cost" }}
class = "cost"
"""
STARTED = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
SPEND = {"alertname": "TokenBudgetBlown", "ai_class": "cost", "service": "refund-agent"}


@pytest.fixture(scope="module")
def bot(fake, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("firehouse")
    with BotProcess(fake=fake, workdir=workdir, config=CONFIG.format(stakeholders=fake.stakeholders),
                    env={"FIREHOUSE_ALERT_TOKEN": TOKEN}) as process:
        yield process


@pytest.fixture(scope="module")
def alertmanager(bot):
    try:
        with alertmanager_server(webhook_url=f"http://127.0.0.1:{bot.port}/alerts/alertmanager", token=TOKEN,
                                 repeat_interval="1s") as manager:
            yield manager
    except AlertmanagerUnavailable as missing:
        skip_or_fail(missing)


def outcomes(bot: BotProcess) -> dict[str, int]:
    with sqlite3.connect(bot.workdir / "firehouse.db") as database:
        return dict(database.execute("SELECT outcome, count(*) FROM alert_delivery GROUP BY outcome").fetchall())


def alert_lines(room: Room) -> list[str]:
    return [line for line in room.timeline(user=BOB) if "*alert*" in line]


def test_a_fired_alert_opens_a_war_room_a_repeat_attaches_and_a_resolve_is_noted(fake, bot, alertmanager):
    alertmanager.add(SPEND, annotations={"summary": "Refund agent spent its daily token budget in 40 minutes",
                                         "runbook": "https://runbooks.example/token-budget"},
                     start=STARTED, generator_url="http://prometheus.example/graph?g0.expr=spend")
    channel = fake.wait_for(lambda: [c for c, room in fake.channels.items() if room.name.startswith("inc-")
                                     and "refund-agent-spent" in room.name])
    room = Room(fake, bot, channel[0])
    fake.wait_for(lambda: room.channel.topic)  # set in the briefing, the round trip after the channel's
    assert room.channel.topic == "SEV3 · cost · Fire captain: <@UBOB> (provisional) · investigating"
    lines = alert_lines(room)
    assert f"Alertmanager: TokenBudgetBlown firing since {STARTED:%Y-%m-%d %H:%M} UTC: Refund agent spent" in lines[0]
    assert any("Labels: ai_class=cost, alertname=TokenBudgetBlown, service=refund-agent" in line for line in lines)
    assert any("Annotations: runbook=https://runbooks.example/token-budget; summary=Refund agent" in line
               for line in lines)
    assert any("Generator link: http://prometheus.example/graph?g0.expr=spend" in line for line in lines)

    # Alertmanager sends the group again every second, and another alert of the group joins it.
    alertmanager.add({**SPEND, "service": "support-bot"}, annotations={"summary": "Support bot too"}, start=STARTED)
    fake.wait_for(lambda: any("firing since" in line and "Support bot too" in line for line in alert_lines(room)),
                  timeout=15)
    fake.wait_for(lambda: outcomes(bot).get("attached", 0) >= 3, timeout=15)
    assert outcomes(bot)["opened"] == 1

    # A resolve: the alert ends in the past.
    alertmanager.add(SPEND, start=STARTED, end=datetime.now(UTC) - timedelta(seconds=5))
    fake.wait_for(lambda: any("TokenBudgetBlown resolved at" in line for line in alert_lines(room)), timeout=15)
    attached = outcomes(bot)["attached"]
    fake.wait_for(lambda: outcomes(bot)["attached"] > attached, timeout=15)  # a repeat after the resolve, processed
    lines = alert_lines(room)
    assert len([line for line in lines if "resolved at" in line]) == 1  # noted once, not per repeat
    assert len([line for line in lines if "firing since" in line]) == 2  # each alert once
    assert "investigating" in room.channel.topic  # open until a person decides
    rooms = [c for c, r in fake.channels.items() if r.name.startswith("inc-") and "refund-agent" in r.name]
    assert rooms == [room.id]
    with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/metrics", timeout=10) as response:
        accepted = re.search(r'firehouse_alert_deliveries_total\{outcome="accepted",source="alertmanager"\} (\S+)',
                             response.read().decode())
    assert accepted and float(accepted[1]) >= 4
