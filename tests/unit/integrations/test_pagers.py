"""Paging: PagerDuty through a stand-in that holds every body to PagerDuty's published Events API v2 schema, a real
Alertmanager whose route delivers to a local receiver, and a signed webhook; and every way a pager fails."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from alertmanagerserver import AlertmanagerUnavailable, alertmanager_server, skip_or_fail
from botprocess import free_port
from pagerdutyserver import pagerduty  # noqa: F401
from standardwebhooks import Webhook
from unit.integrations.test_receivers import SECRET, Receiver

from firehouse.config.paging import PagerSettings
from firehouse.domain.pages import PageRequest
from firehouse.integrations.pagers import ALERTMANAGER_HOLD, HttpPagers

KEY = "0123456789abcdef0123456789abcdef"  # an integration key's shape
LINK = "https://acme.slack.com/archives/C0WARROOM"
DEDUP = "firehouse-7-ai-platform-0a1b2c3d4e5f"
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def pagers():
    with HttpPagers() as sending:
        yield sending


def page(action: str = "trigger", **changes: Any) -> PageRequest:
    return replace(PageRequest(action=action, pager="ai-platform", dedup_key=DEDUP, incident_id=7,
                               title="Refund agent approves every refund", severity="sev1", class_id="output",
                               captain="UBOB", link=LINK, at=AT, started_at=AT - timedelta(minutes=2)), **changes)


def pagerduty_pager(url: str, **changes: Any) -> PagerSettings:
    return replace(PagerSettings(name="ai-platform", kind="pagerduty", url=url, secret=KEY,
                                 timeout=timedelta(seconds=5)), **changes)


# --- PagerDuty ---------------------------------------------------------------------------------------------------


def test_a_trigger_is_accepted_with_everything_pagerduty_shows(pagerduty, pagers):  # noqa: F811
    answer = pagers.send(pagerduty_pager(pagerduty.url), page(message="sev1 by rule: refunds over $10k"))

    assert (answer.ok, answer.retry, answer.text) == (True, False, f"PagerDuty accepted (dedup key {DEDUP})")
    [received] = pagerduty.received
    assert (received.path, received.problems, received.status) == ("/v2/enqueue", (), 202)
    assert received.event == {
        "routing_key": KEY, "event_action": "trigger", "dedup_key": DEDUP,
        "payload": {
            "summary": "Incident 7 (SEV1 output): Refund agent approves every refund: sev1 by rule: refunds over $10k",
            "source": "firehouse", "severity": "critical", "timestamp": "2026-03-02T09:30:00Z", "class": "output",
            "custom_details": {"incident": 7, "severity": "sev1", "class": "output", "captain": "UBOB",
                               "war_room": LINK, "drill": False, "message": "sev1 by rule: refunds over $10k"}},
        "client": "Firehouse", "client_url": LINK, "links": [{"href": LINK, "text": "War room"}],
    }


@pytest.mark.parametrize(("severity", "expected"), [("sev1", "critical"), ("sev2", "error"), ("sev3", "warning")])
def test_each_severity_pages_at_pagerdutys_own_level(pagerduty, severity, expected, pagers):  # noqa: F811
    assert pagers.send(pagerduty_pager(pagerduty.url), page(severity=severity)).ok

    assert pagerduty.events()[0]["payload"]["severity"] == expected


def test_a_resolve_names_only_the_routing_key_and_the_dedup_key(pagerduty, pagers):  # noqa: F811
    answer = pagers.send(pagerduty_pager(pagerduty.url), page("resolve"))

    assert (answer.ok, answer.text) == (True, f"PagerDuty accepted (dedup key {DEDUP})")
    assert pagerduty.events() == [{"routing_key": KEY, "event_action": "resolve", "dedup_key": DEDUP}]


def test_a_summary_past_pagerdutys_limit_is_cut_to_it_and_still_accepted(pagerduty, pagers):  # noqa: F811
    answer = pagers.send(pagerduty_pager(pagerduty.url), page(title="x" * 3000))

    assert answer.ok, answer.text
    summary = pagerduty.events()[0]["payload"]["summary"]
    assert len(summary) == 1024 and summary.endswith("x…")


def test_a_drill_says_so_in_the_summary_and_the_details(pagerduty, pagers):  # noqa: F811
    pagers.send(pagerduty_pager(pagerduty.url), page(drill=True))

    payload = pagerduty.events()[0]["payload"]
    assert payload["summary"].startswith("[DRILL] Incident 7")
    assert payload["custom_details"]["drill"] is True


def test_a_change_goes_to_the_change_events_endpoint_without_an_alert_s_keys(pagerduty, pagers):  # noqa: F811
    change = page("change", message="firebreak pulled: refunds paused",
                  details={"firebreak": "refunds-off", "answer": "Unleash turned refunds off"})

    answer = pagers.send(pagerduty_pager(pagerduty.url, change_events=True), change)

    assert (answer.ok, answer.text) == (True, "PagerDuty recorded the change")
    [received] = pagerduty.received
    assert (received.path, received.problems, received.status) == ("/v2/change/enqueue", (), 202)
    assert received.event == {
        "routing_key": KEY,
        "payload": {
            "summary": "Incident 7 (SEV1 output): Refund agent approves every refund: firebreak pulled: refunds paused",
            "timestamp": "2026-03-02T09:30:00Z", "source": "firehouse",
            "custom_details": {"firebreak": "refunds-off", "answer": "Unleash turned refunds off", "incident": 7,
                               "severity": "sev1", "class": "output", "captain": "UBOB", "war_room": LINK,
                               "drill": False, "message": "firebreak pulled: refunds paused"}},
        "links": [{"href": LINK, "text": "War room"}],
    }


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttled_or_down_is_tried_again_later_and_the_event_was_well_formed(pagerduty, status, pagers):  # noqa: F811
    pagerduty.answer_next(status)

    answer = pagers.send(pagerduty_pager(pagerduty.url), page())

    assert (answer.ok, answer.retry, answer.text) == (False, True, f"PagerDuty answered {status}")
    assert [(r.status, r.problems) for r in pagerduty.received] == [(status, ())]


def test_an_event_pagerduty_finds_invalid_is_not_retried_and_its_own_words_are_shown(pagerduty, pagers):  # noqa: F811
    answer = pagers.send(pagerduty_pager(pagerduty.url, secret=""), page())

    assert (answer.ok, answer.retry) == (False, False)
    assert answer.text == "PagerDuty answered 400: Event object is invalid (routing_key: '' should be non-empty)"
    assert pagerduty.received[0].problems == ("routing_key: '' should be non-empty",)


def test_pagerdutys_400_is_shown_in_one_line_of_at_most_200_characters(pagerduty, pagers):  # noqa: F811
    pagerduty.answer_next(400)
    answer = pagers.send(pagerduty_pager(pagerduty.url), page())
    assert (answer.ok, answer.retry) == (False, False)
    assert answer.text == ("PagerDuty answered 400: Event object is invalid "
                           "(Length of 'routing_key' is incorrect (should be 32 characters))")

    pagerduty.answer_next(400, errors=[f"problem {n}\nof many" for n in range(40)])
    long = pagers.send(pagerduty_pager(pagerduty.url), page())
    assert len(long.text) == 200 and long.text.endswith("…") and "\n" not in long.text
    assert long.text.startswith("PagerDuty answered 400: Event object is invalid (problem 0 of many; problem 1")


def test_pagerduty_not_answering_within_the_timeout_is_tried_again_later(pagers):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the handshake; nothing ever reads or writes
        pager = pagerduty_pager(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=timedelta(seconds=0.5))
        began = time.monotonic()

        answer = pagers.send(pager, page())

    assert (answer.ok, answer.retry, answer.text) == (False, True, "PagerDuty did not answer within 0.5 s")
    assert time.monotonic() - began < 5


def test_pagerduty_nobody_listens_on_is_tried_again_later(pagers):
    url = f"http://127.0.0.1:{free_port()}"

    answer = pagers.send(pagerduty_pager(url), page())

    assert (answer.ok, answer.retry, answer.text) == (False, True, f"could not reach {url}/v2/enqueue (ConnectError)")


TRIGGER = {"routing_key": KEY, "event_action": "trigger", "dedup_key": DEDUP,
           "payload": {"summary": "s", "source": "host-1", "severity": "info",
                       "timestamp": "2026-03-02T09:30:00.315+0000",  # ISO 8601 as PagerDuty's examples write it
                       "component": "api", "group": "refunds", "class": "output", "custom_details": {"n": 1}},
           "client": "c", "client_url": "https://c.example", "links": [{"href": "https://l.example"}],
           "images": [{"src": "https://i.example/a.png", "href": "https://i.example", "alt": "a"}]}


def trigger(**payload: Any) -> dict:
    return {**TRIGGER, "payload": {**TRIGGER["payload"], **payload}}


def test_the_stand_in_takes_a_well_formed_event_with_every_field_pagerduty_documents(pagerduty):  # noqa: F811
    answer = httpx.post(f"{pagerduty.url}/v2/enqueue", json=TRIGGER, timeout=10)

    assert (answer.status_code, answer.json()) == (202, {"status": "success", "message": "Event processed",
                                                         "dedup_key": DEDUP})


@pytest.mark.parametrize(("path", "event", "why"), [  # why: the part of PagerDuty's errors that says why
    ("/v2/enqueue", trigger(severity="sev1"), "payload.severity: 'sev1' is not one of"),
    ("/v2/enqueue", trigger(summary="x" * 1025), "payload.summary: 'xxx"),
    ("/v2/enqueue", trigger(timestamp="2026-03-02T09:30:00"), "'2026-03-02T09:30:00' is not a 'date-time'"),
    ("/v2/enqueue", {"routing_key": KEY, "event_action": "trigger"}, "'payload' is a required property"),
    ("/v2/enqueue", {"routing_key": KEY, "event_action": "resolve"}, "'dedup_key' is a required property"),
    ("/v2/enqueue", {**TRIGGER, "dedup_key": "k" * 256}, "dedup_key: 'kkk"),
    ("/v2/enqueue", {**TRIGGER, "dedupkey": DEDUP}, "('dedupkey' was unexpected)"),
    ("/v2/enqueue", {**TRIGGER, "links": [{"href": "C0WARROOM"}]}, "links.0.href: 'C0WARROOM' is not a 'uri'"),
    ("/v2/change/enqueue", {**TRIGGER, "payload": {"summary": "s"}}, "('client', 'client_url', 'dedup_key',"),
    ("/v2/change/enqueue", {"routing_key": KEY, "payload": {"summary": "s", "severity": "info"}},
     "payload: Additional properties are not allowed ('severity'"),
], ids=["firehouse's severity name", "a summary past 1024", "a moment without its offset", "a trigger without payload",
        "a resolve without dedup key", "a dedup key past 255", "a misspelt key", "a link that is no URL",
        "a change with an alert's keys", "a change with a severity"])
def test_the_stand_in_refuses_what_pagerdutys_contract_refuses(pagerduty, path, event, why):  # noqa: F811
    answer = httpx.post(f"{pagerduty.url}{path}", json=event, timeout=10)

    assert answer.status_code == 400
    assert (answer.json()["status"], answer.json()["message"]) == ("invalid event", "Event object is invalid")
    [error] = answer.json()["errors"]
    assert why in error
    assert pagerduty.received[0].problems == (error,)


def test_pagerduty_is_not_checked_since_only_a_page_would_tell(pagers):
    assert pagers.check(pagerduty_pager(f"http://127.0.0.1:{free_port()}")) is None


# --- the webhook ---------------------------------------------------------------------------------------------------


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def webhook_pager(url: str) -> PagerSettings:
    return PagerSettings(name="ai-platform", kind="webhook", url=f"{url}/page", secret=SECRET,
                         timeout=timedelta(seconds=5))


def test_a_webhook_page_is_signed_and_says_what_to_page_for(receiver, pagers):
    answer = pagers.send(webhook_pager(receiver.url), page(message="refunds over $10k"))

    assert (answer.ok, answer.text) == (True, "the webhook accepted (204)")
    [got] = receiver.got
    assert Webhook(SECRET).verify(got.body, got.headers) == {
        "type": "page.trigger", "page": {"pager": "ai-platform", "dedup_key": DEDUP},
        "incident": {"id": 7, "title": "Refund agent approves every refund", "severity": "sev1", "class": "output",
                     "captain": "UBOB", "war_room": LINK},
        "message": "refunds over $10k", "drill": False, "at": "2026-03-02T09:30:00Z", "details": {},
    }
    assert got.headers["webhook-id"] == f"{DEDUP}:trigger:{int(AT.timestamp() * 1000)}"


def test_a_retried_webhook_page_keeps_its_id_and_a_resolve_or_a_later_trigger_has_its_own(receiver, pagers):
    pager = webhook_pager(receiver.url)
    receiver.answer_next(503)

    retried = pagers.send(pager, page())
    pagers.send(pager, page())
    pagers.send(pager, page("resolve", at=AT + timedelta(hours=1)))
    pagers.send(pager, page(at=AT + timedelta(hours=2)))  # reopened

    assert (retried.ok, retried.retry, retried.text) == (False, True, "the webhook answered 503")
    ids = [got.headers["webhook-id"] for got in receiver.got]
    assert ids[0] == ids[1] and len(set(ids[1:])) == 3
    assert [got.json()["type"] for got in receiver.got] == ["page.trigger", "page.trigger", "page.resolve",
                                                            "page.trigger"]


def test_a_webhook_that_refuses_the_page_is_not_retried(receiver, pagers):
    receiver.answer_next(422)

    answer = pagers.send(webhook_pager(receiver.url), page())

    assert (answer.ok, answer.retry, answer.text) == (False, False, "the webhook answered 422: try later")


def test_a_webhook_is_checked_with_a_head_request_and_any_answer_will_do(receiver, pagers):
    receiver.answer_next(405)

    assert pagers.check(webhook_pager(receiver.url)) is None
    assert [(got.method, got.path) for got in receiver.got] == [("HEAD", "/page")]

    url = f"http://127.0.0.1:{free_port()}"
    assert pagers.check(webhook_pager(url)) == f"could not reach {url}/page (ConnectError)"


# --- Alertmanager ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def routed():
    """A real Alertmanager whose one route sends every group, and its end, to a local receiver."""
    with Receiver() as notified:
        try:
            with alertmanager_server(webhook_url=f"{notified.url}/alertmanager", token="route-token",
                                     group_by=("incident",)) as manager:
                yield manager, notified
        except AlertmanagerUnavailable as missing:
            skip_or_fail(missing)


def alertmanager_pager(url: str) -> PagerSettings:
    return PagerSettings(name="ai-platform", kind="alertmanager", url=url, timeout=timedelta(seconds=5))


def alerts(url: str, incident: str) -> list[dict]:
    listed = httpx.get(f"{url}/api/v2/alerts", params={"filter": f'incident="{incident}"'}, timeout=10)
    listed.raise_for_status()
    return listed.json()


def notifications(received, incident: str, status: str) -> list[dict]:
    return [body for got in received if got.path == "/alertmanager" and (body := got.json())["status"] == status
            and body["commonLabels"].get("incident") == incident]


def test_a_trigger_fires_through_alertmanagers_routing_and_a_resolve_ends_it(routed, pagers):
    manager, notified = routed
    pager = alertmanager_pager(manager.url)
    now = datetime.now(UTC).replace(microsecond=0)
    request = page(incident_id=41, at=now, started_at=now - timedelta(minutes=1), message="refunds over $10k")

    answer = pagers.send(pager, request)

    assert (answer.ok, answer.text) == (True, "Alertmanager took the alert")
    [alert] = alerts(manager.url, "41")
    assert alert["labels"] == {"alertname": "FirehouseIncident", "severity": "sev1", "class": "output",
                               "incident": "41", "pager": "ai-platform"}
    assert alert["annotations"] == {"summary": request.summary, "war_room": LINK, "message": "refunds over $10k"}
    assert alert["generatorURL"] == LINK
    assert datetime.fromisoformat(alert["startsAt"]) == now - timedelta(minutes=1)
    assert datetime.fromisoformat(alert["endsAt"]) == now + ALERTMANAGER_HOLD
    assert alert["status"]["state"] == "active"
    [firing] = notified.wait_for(lambda got: notifications(got, "41", "firing"))
    assert firing["alerts"][0]["labels"] == alert["labels"]

    ended = pagers.send(pager, replace(request, action="resolve", at=datetime.now(UTC)))

    assert (ended.ok, ended.text) == (True, "Alertmanager ended the alert")
    assert alerts(manager.url, "41") == []
    [resolved] = notified.wait_for(lambda got: notifications(got, "41", "resolved"))
    assert resolved["alerts"][0]["labels"] == alert["labels"]


def test_a_drill_is_labelled_so_a_route_can_keep_it_from_people(routed, pagers):
    manager, _ = routed
    now = datetime.now(UTC)

    assert pagers.send(alertmanager_pager(manager.url), page(incident_id=42, at=now, started_at=now, drill=True)).ok

    [alert] = alerts(manager.url, "42")
    assert alert["labels"]["drill"] == "true"
    assert alert["annotations"]["summary"].startswith("[DRILL] ")


def test_an_alertmanager_is_checked_by_its_status_and_answers(routed, pagers):
    manager, _ = routed

    assert pagers.check(alertmanager_pager(manager.url)) is None


def test_an_alertmanager_that_is_down_fails_its_check_and_its_pages_are_retried(receiver, pagers):
    receiver.answer_next(503, 503)
    pager = alertmanager_pager(receiver.url)

    assert pagers.check(pager) == f"Alertmanager answered 503 at {receiver.url}/api/v2/status: try later"
    answer = pagers.send(pager, page())
    assert (answer.ok, answer.retry, answer.text) == (False, True, "Alertmanager answered 503")

    gone = alertmanager_pager(f"http://127.0.0.1:{free_port()}")
    assert pagers.check(gone) == f"could not reach {gone.url}/api/v2/status (ConnectError)"


def test_alertmanager_takes_no_change_events_and_nothing_is_sent(receiver, pagers):
    answer = pagers.send(alertmanager_pager(receiver.url), page("change"))

    assert (answer.ok, answer.retry) == (False, False)
    assert receiver.got == []


def test_a_resolve_ends_the_one_alert_at_the_moment_it_was_asked(receiver, pagers):
    pagers.send(alertmanager_pager(receiver.url), page("resolve"))

    [got] = receiver.got
    assert got.path == "/api/v2/alerts"
    [alert] = json.loads(got.body)
    assert alert["endsAt"] == "2026-03-02T09:30:00Z" and alert["startsAt"] == "2026-03-02T09:28:00Z"
