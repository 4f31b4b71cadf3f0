"""Paging end to end: the real `firehouse serve` routes a declaration to the people and pagers its rules name,
pages a PagerDuty stand-in that holds every body to PagerDuty's published Events API v2 schema and a real
Alertmanager whose route delivers to a local receiver, hears acknowledgements back through PagerDuty's signed v3
webhooks, and loses no page and sends none twice when it is killed."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from alertmanagerserver import AlertmanagerUnavailable, alertmanager_server, skip_or_fail
from botprocess import BotProcess, firehouse_command
from pagerdutyserver import PagerDutyServer
from unit.integrations.test_receivers import Receiver
from warroom import ALICE, Room, in_room

ROUTING_KEY = "0123456789abcdef0123456789abcdef"  # an integration key's shape: 32 characters
WEBHOOK_SECRET = "cGFnZXJkdXR5IHYzIHdlYmhvb2sgc2VjcmV0"
LEGAL, DANA, ERIN = "S0LEGAL", "UDANA", "UERIN"
CONFIG = """stakeholder_channel = "{stakeholders}"

[pagers.ai-platform]
kind = "pagerduty"
routing_key_env = "PAGERDUTY_ROUTING_KEY"
webhook_secret_env = "PAGERDUTY_WEBHOOK_SECRET"
url = "{pagerduty}"
timeout = "3s"

[pagers.ml-oncall]
kind = "alertmanager"
url = "{alertmanager}"
timeout = "3s"

[[routing]]
name = "sev1-pages"
match = {{ severity = ["sev1"] }}
page = ["ai-platform"]

[[routing]]
name = "data-to-legal"
match = {{ class = ["data"] }}
invite = ["{legal}"]
announce = ["{legal_channel}"]
"""
ENV = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "PAGERDUTY_WEBHOOK_SECRET": WEBHOOK_SECRET}


@pytest.fixture(scope="module")
def pagerduty():
    with PagerDutyServer() as server:
        yield server


@pytest.fixture(scope="module")
def routed():
    """A real Alertmanager whose one route sends each incident's alerts, and their end, to a local receiver; None
    where Alertmanager is not installed (its test is skipped then, or fails in CI)."""
    with Receiver() as notified:
        try:
            with alertmanager_server(webhook_url=f"{notified.url}/alertmanager", token="route-token",
                                     group_by=("incident",)) as manager:
                yield manager, notified
        except AlertmanagerUnavailable as missing:
            yield missing


@pytest.fixture(scope="module")
def config(fake, pagerduty, routed):
    for user, name in ((DANA, "dana"), (ERIN, "erin")):
        fake.add_user(user, name)
    fake.add_usergroup(LEGAL, [DANA, ERIN])
    fake.legal = fake.add_channel("legal-incidents", members=[DANA])
    alertmanager = routed[0].url if isinstance(routed, tuple) else "http://127.0.0.1:9"
    return CONFIG.format(stakeholders=fake.stakeholders, pagerduty=pagerduty.url, alertmanager=alertmanager,
                         legal=LEGAL, legal_channel=fake.legal)


@pytest.fixture(scope="module")
def bot(fake, config, tmp_path_factory):
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"), config=config, env=ENV) as process:
        yield process


def declared(fake, bot: BotProcess, text: str) -> Room:
    """`/incident declare <text>` from #general, by Alice, with whichever process is running."""
    url = fake.new_response_url()
    assert bot.command(f"declare {text}", user=ALICE, channel=fake.general, response_url=url).status == 200
    channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#", 1)[1].split(">", 1)[0]
    return Room(fake, bot, channel)


def triggers(pagerduty: PagerDutyServer, room: Room) -> list:
    """Every trigger PagerDuty got for this war room's incident (taken or not), in order."""
    return [r for r in pagerduty.received if r.path == "/v2/enqueue" and r.event.get("event_action") == "trigger"
            and r.event.get("client_url", "").endswith(f"channel={room.id}")]


def dedup_key(fake, pagerduty: PagerDutyServer, room: Room) -> str:
    return fake.wait_for(lambda: triggers(pagerduty, room))[0].event["dedup_key"]


def for_key(pagerduty: PagerDutyServer, key: str, action: str) -> list:
    return [r for r in pagerduty.received if r.event.get("dedup_key") == key and r.event["event_action"] == action]


def said(fake, room: Room, words: str, *, timeout: float = 10) -> str:
    return fake.wait_for(lambda: in_room(fake, room, words), timeout=timeout)[-1]


def webhook(bot: BotProcess, key: str, *, event_type: str = "incident.acknowledged", secret: str = WEBHOOK_SECRET,
            at: datetime | None = None) -> httpx.Response:
    """A v3 webhook as PagerDuty's documentation shows it, signed `v1=` over the raw body with `secret`."""
    at = at or datetime.now(UTC)
    body = json.dumps({"event": {
        "id": str(uuid.uuid4()), "event_type": event_type, "resource_type": "incident",
        "occurred_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "agent": {"html_url": "https://acme.pagerduty.com/users/PLH1HKV", "id": "PLH1HKV",
                  "self": "https://api.pagerduty.com/users/PLH1HKV", "summary": "Alex", "type": "user_reference"},
        "client": None,
        "data": {"id": "PGR0VU2", "type": "incident", "self": "https://api.pagerduty.com/incidents/PGR0VU2",
                 "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2", "number": 2,
                 "status": event_type.removeprefix("incident."), "incident_key": key,
                 "created_at": at.isoformat(timespec="seconds").replace("+00:00", "Z"), "title": "an incident",
                 "service": {"id": "PF9KMXH", "type": "service_reference", "summary": "AI platform"},
                 "assignees": [{"id": "PLH1HKV", "type": "user_reference", "summary": "Alex"}],
                 "escalation_policy": {"id": "PUS0KTE", "type": "escalation_policy_reference"},
                 "teams": [], "priority": None, "urgency": "high", "conference_bridge": None,
                 "resolve_reason": None}}}).encode()
    signature = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(f"http://127.0.0.1:{bot.port}/pagerduty", content=body, timeout=10,
                      headers={"Content-Type": "application/json", "X-PagerDuty-Signature": signature})


def test_a_sev1_pages_once_hears_the_acknowledgement_and_resolves_the_page(fake, bot, pagerduty):
    room = declared(fake, bot, "sev1 output Refund agent approves every refund")
    key = dedup_key(fake, pagerduty, room)
    assert said(fake, room, "Paged *ai-platform*") == (
        f":pager: Paged *ai-platform*: PagerDuty accepted (dedup key {key})")
    [trigger] = triggers(pagerduty, room)
    assert (trigger.status, trigger.problems) == (202, ())
    assert trigger.event["payload"]["severity"] == "critical"
    assert "Refund agent approves every refund" in trigger.event["payload"]["summary"]
    assert fake.wait_for(lambda: "*ai-platform*: triggered" in room.run("pages"))

    # Forged, stale: refused, and nothing moves.
    assert webhook(bot, key, secret="not-the-secret").status_code == 401
    assert webhook(bot, key, at=datetime.now(UTC) - timedelta(minutes=31)).status_code == 401
    assert "*ai-platform*: triggered" in room.run("pages")
    assert not in_room(fake, room, "acknowledged by")

    moment = datetime.now(UTC)
    answer = webhook(bot, key, at=moment)
    assert (answer.status_code, answer.json()) == (202, {"outcome": "recorded"})
    assert said(fake, room, "acknowledged by") == (
        f":pager: Paged *ai-platform*: acknowledged by Alex at {moment:%H:%M} UTC")
    assert f"*ai-platform*: acknowledged by Alex at {moment:%H:%M} UTC" in room.run("pages")

    assert "resolved" in room.run("resolve refunds paused --waive-notice no customer was refunded")
    [resolve] = fake.wait_for(lambda: for_key(pagerduty, key, "resolve"))
    assert (resolve.status, resolve.problems) == (202, ())
    assert resolve.event == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": key}
    said(fake, room, "Resolved the page to *ai-platform*")
    assert "*ai-platform*: resolved" in room.run("pages")
    assert len(triggers(pagerduty, room)) == 1
    assert {r.event["dedup_key"] for r in triggers(pagerduty, room)} == {key}


def test_a_data_incident_brings_legal_in_and_is_announced_discreetly(fake, bot, pagerduty):
    title = "Tenant A's agent shows tenant B's invoices"
    room = declared(fake, bot, f"sev2 data {title}")

    fake.wait_for(lambda: {DANA, ERIN} <= room.channel.members)
    [announcement] = fake.wait_for(lambda: [m for m in fake.messages(fake.legal) if "private" in m["text"]])
    assert announcement["text"].startswith(":lock: A private SEV2 incident (#")
    assert title not in json.dumps(announcement) and "data" not in announcement["text"]
    lines = room.timeline()
    assert any("Routing data-to-legal (class data): invited <!subteam^S0LEGAL>; announced in" in line
               for line in lines)
    assert not triggers(pagerduty, room)  # a SEV2: no rule pages it


def test_a_pagerduty_that_answers_503_is_retried_and_the_page_goes_through(fake, bot, pagerduty):
    pagerduty.answer_next(503)
    room = declared(fake, bot, "sev1 output Support bot promises refunds")

    assert said(fake, room, "answered 503") == (
        ":hourglass: Paging *ai-platform*: PagerDuty answered 503, retrying.")
    key = dedup_key(fake, pagerduty, room)
    said(fake, room, "Paged *ai-platform*: PagerDuty accepted", timeout=20)
    assert [(r.status, r.problems, r.event["dedup_key"]) for r in triggers(pagerduty, room)] == [
        (503, (), key), (202, (), key)]


def deliveries(bot: BotProcess, destination: str) -> list[tuple]:
    with sqlite3.connect(bot.workdir / "firehouse.db") as database:
        return database.execute("SELECT attempts, done_at IS NOT NULL, given_up_at IS NOT NULL FROM delivery"
                                " WHERE destination = ? ORDER BY id", (destination,)).fetchall()


def test_a_page_pagerduty_refuses_fails_with_its_words_and_is_not_retried(fake, bot, pagerduty):
    pagerduty.answer_next(400)
    room = declared(fake, bot, "sev1 output Pricing agent sells at zero")

    failed = said(fake, room, "FAILED")
    assert failed.startswith(":warning: Paging *ai-platform* FAILED: PagerDuty answered 400: Event object is"
                             " invalid (Length of 'routing_key' is incorrect (should be 32 characters)).")
    assert "*ai-platform*: failed" in room.run("pages")
    assert deliveries(bot, "pager:ai-platform")[-1] == (1, 0, 1)  # given up at once: never tried again
    assert len(triggers(pagerduty, room)) == 1


def test_an_unknown_pager_gets_the_list_and_outside_a_war_room_the_usual_answer(fake, bot):
    room = declared(fake, bot, "sev3 output Summaries in the wrong language")
    assert room.run("page nope they are needed") == (
        "`nope` is not a pager here. The pagers are `ai-platform`, `ml-oncall`.")

    url = fake.new_response_url()
    assert bot.command("page ai-platform", user=ALICE, channel=fake.general, response_url=url).status == 200
    [reply] = fake.wait_for(lambda: fake.responses(url))
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("This channel is not a war room.")


def test_an_alertmanager_pages_through_its_own_routing_and_the_page_ends_with_the_incident(fake, bot, routed):
    if not isinstance(routed, tuple):
        skip_or_fail(routed)
    manager, notified = routed
    room = declared(fake, bot, "sev2 action Ranking model hides every listing")
    assert room.run("page ml-oncall the ranking model is down").startswith("Done")
    said(fake, room, "Paged *ml-oncall*: Alertmanager took the alert")

    def alerts() -> list[dict]:
        listed = httpx.get(f"{manager.url}/api/v2/alerts", params={"filter": "alertname=FirehouseIncident"},
                           timeout=10).json()
        return [a for a in listed if a["annotations"].get("war_room", "").endswith(f"channel={room.id}")]

    [alert] = fake.wait_for(alerts)
    incident = alert["labels"]["incident"]
    assert {k: alert["labels"][k] for k in ("alertname", "severity", "class")} == {
        "alertname": "FirehouseIncident", "severity": "sev2", "class": "action"}
    [firing] = notified.wait_for(lambda got: notifications(got, incident, "firing"))
    assert firing["alerts"][0]["labels"] == alert["labels"]

    room.run("resolve rolled the ranking model back")
    [resolved] = notified.wait_for(lambda got: notifications(got, incident, "resolved"), timeout=20)
    assert resolved["alerts"][0]["labels"] == alert["labels"]
    assert alerts() == []


def notifications(received, incident: str, status: str) -> list[dict]:
    return [body for got in received if got.path == "/alertmanager" and (body := got.json())["status"] == status
            and body["commonLabels"].get("incident") == incident]


def test_a_page_owed_when_the_process_is_killed_goes_out_after_the_restart_under_one_key(fake, config, pagerduty,
                                                                                          tmp_path):
    pagerduty.answer_next(503)
    with BotProcess(fake=fake, workdir=tmp_path, config=config, env=ENV) as first:
        room = declared(fake, first, "sev1 output Claims agent denies every claim")
        said(fake, room, "answered 503")
        first.kill()  # the page is owed, and nothing got to clean up

    with BotProcess(fake=fake, workdir=tmp_path, config=config, env=ENV) as second:
        room = Room(fake, second, room.id)
        said(fake, room, "Paged *ai-platform*: PagerDuty accepted", timeout=20)
        assert fake.wait_for(lambda: "*ai-platform*: triggered" in room.run("pages"))

    sent = triggers(pagerduty, room)
    assert len({r.event["dedup_key"] for r in sent}) == 1
    assert [r.status for r in sent].count(202) >= 1 and sent[0].status == 503
    assert all(r.problems == () for r in sent)


def test_socket_mode_taking_pagerdutys_webhooks_without_an_intake_port_stops_start_up_with_one_line(fake, config,
                                                                                                      tmp_path):
    process = BotProcess(fake=fake, workdir=tmp_path, config=config, env={**ENV, "SLACK_APP_TOKEN": fake.app_token})
    result = subprocess.run([*firehouse_command(), "serve", "--host", "127.0.0.1"], cwd=tmp_path,
                            env=process.environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == ("firehouse: a pager takes PagerDuty's webhooks in Socket Mode, so they"
                                              " need a port of their own: --alerts-port or FIREHOUSE_ALERTS_PORT")
