"""PagerDuty's v3 webhooks in-process: signed as PagerDuty signs them, refused before anything is recorded, and
routed beside alert intake on the port they share in Socket Mode."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from datetime import UTC, datetime

import pytest

from firehouse.intake.app import MAX_BODY
from firehouse.intake.pagerduty import PagerDutyWebhook, pagerduty_app
from firehouse.ops.metrics import Metrics
from firehouse.server import partner_app, wsgi_app

SECRET = "Qm9vdHN0cmFwIHNlY3JldCBmb3IgdGVzdHM"
ROTATED = "bmV4dCBzZWNyZXQgYWZ0ZXIgcm90YXRpb24"
NOW = datetime(2026, 3, 2, 14, 5, 30, tzinfo=UTC)
KEY = "firehouse-7-ai-platform-0a1b2c3d4e5f"
ALEX = {"id": "PLH1HKV", "type": "user_reference", "summary": "Alex Doe"}


def event(*, event_type: str = "incident.acknowledged", occurred_at: str = "2026-03-02T14:05:12.169Z",
          agent: dict | str | None = ALEX, **data) -> dict:
    """A webhook body as PagerDuty's v3 documentation shows it."""
    incident = {"id": "PGR0VU2", "type": "incident", "self": "https://api.pagerduty.com/incidents/PGR0VU2",
                "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2", "number": 2, "status": "acknowledged",
                "incident_key": KEY, "title": "Incident 7 (SEV1 outage): checkout down", "urgency": "high"}
    return {"event": {"id": "5ac64822-4adc-4fda-ade0-410becf0de4f", "event_type": event_type,
                      "resource_type": "incident", "occurred_at": occurred_at, "agent": agent,
                      "client": {"name": "PagerDuty"}, "data": {**incident, **data}}}


def signature(body: bytes, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Pages:
    """Stands in for whatever records acknowledgements: remembers what it was given, answers as told or fails."""

    def __init__(self, *, answer: str = "recorded", fail: bool = False) -> None:
        self.answer, self.fail, self.received = answer, fail, []

    def receive(self, webhook: PagerDutyWebhook) -> str:
        if self.fail:
            raise OSError("database is away")
        self.received.append(webhook)
        return self.answer


def call(app, body: dict | bytes | None = None, *, path: str = "/pagerduty", method: str = "POST",
         signed: str | None = None, length: str | None = None,
         stream: io.BytesIO | None = None) -> tuple[int, dict, dict]:
    """One request; signed with SECRET unless `signed` says what the header holds ("" leaves it out)."""
    raw = body if isinstance(body, bytes) else json.dumps(event() if body is None else body).encode()
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "wsgi.input": stream or io.BytesIO(raw),
               "CONTENT_LENGTH": str(len(raw)) if length is None else length}
    header = signature(raw) if signed is None else signed
    if header:
        environ["HTTP_X_PAGERDUTY_SIGNATURE"] = header
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

    answer = b"".join(app(environ, start_response))
    return seen["status"], json.loads(answer) if answer.startswith(b"{") else {}, seen["headers"]


@pytest.fixture
def told():
    return []


def app_with(pages: Pages, told: list, *, secrets=(SECRET,)):
    return pagerduty_app(secrets=lambda: secrets, receive=pages.receive, on_delivery=told.append, clock=lambda: NOW)


def test_a_signed_acknowledgement_is_handed_over_parsed_and_answered_with_its_outcome(told):
    pages = Pages()
    status, answer, _ = call(app_with(pages, told))
    assert (status, answer, told) == (202, {"outcome": "recorded"}, ["recorded"])
    assert pages.received == [PagerDutyWebhook(
        event_id="5ac64822-4adc-4fda-ade0-410becf0de4f", event_type="incident.acknowledged", incident_key=KEY,
        who="Alex Doe", occurred_at=datetime(2026, 3, 2, 14, 5, 12, 169000, tzinfo=UTC),
        html_url="https://acme.pagerduty.com/incidents/PGR0VU2")]
    assert pages.received[0].state == "acknowledged"


@pytest.mark.parametrize(("event_type", "state"), [("incident.unacknowledged", "triggered"),
                                                   ("incident.resolved", "resolved")])
def test_unacknowledging_and_resolving_move_the_page_too(told, event_type, state):
    pages = Pages()
    assert call(app_with(pages, told), event(event_type=event_type))[0] == 202
    assert [w.state for w in pages.received] == [state]


def test_without_an_agent_pagerduty_itself_acted(told):
    pages = Pages()
    call(app_with(pages, told), event(event_type="incident.resolved", agent=None))
    assert pages.received[0].who == "PagerDuty"


@pytest.mark.parametrize("word", ["duplicate", "unknown", "ignored"])
def test_the_answer_carries_what_receive_said(told, word):
    assert call(app_with(Pages(answer=word), told))[:2] == (202, {"outcome": word}) and told == [word]


@pytest.mark.parametrize("header", [
    pytest.param("", id="no header"),
    pytest.param("v1=" + "0" * 64, id="forged"),
    pytest.param(signature(json.dumps(event()).encode(), "not-the-secret"), id="another secret"),
    pytest.param(signature(json.dumps(event()).encode()).removeprefix("v1="), id="without v1="),
    pytest.param("v0=" + signature(json.dumps(event()).encode()).removeprefix("v1="), id="another version"),
    pytest.param(signature(json.dumps(event()).encode())[:-1] + "é", id="not ascii"),
    pytest.param(signature(json.dumps(event(incident_key="someone-else")).encode()), id="another body"),
])
def test_only_pagerdutys_signature_gets_in_and_nothing_is_recorded(told, header):
    pages = Pages()
    status, answer, _ = call(app_with(pages, told), signed=header)
    assert status == 401 and "X-PagerDuty-Signature" in answer["error"]
    assert pages.received == [] and told == ["unauthorized"]


def test_during_rotation_one_valid_signature_among_several_is_enough(told):
    raw = json.dumps(event()).encode()
    header = f"v1={'a' * 64}, {signature(raw, ROTATED)}"
    pages = Pages()
    assert call(app_with(pages, told, secrets=(SECRET, ROTATED)), raw, signed=header)[0] == 202
    assert call(app_with(pages, told, secrets=("", ROTATED)), raw, signed=header)[0] == 202
    assert len(pages.received) == 2


@pytest.mark.parametrize("occurred_at", [
    pytest.param("2026-03-02T13:35:29Z", id="30 minutes and a second ago"),
    pytest.param("2026-03-02T14:35:29+01:00", id="the same in another offset"),
    pytest.param("2026-03-02T14:10:31Z", id="5 minutes and a second ahead"),
    pytest.param("2026-02-23T14:05:12Z", id="a week ago"),
])
def test_an_event_outside_its_window_is_stale_and_nothing_is_recorded(told, occurred_at):
    pages = Pages()
    status, answer, _ = call(app_with(pages, told), event(occurred_at=occurred_at))
    assert status == 401 and answer["error"].startswith("stale") and "30 minutes" in answer["error"]
    assert pages.received == [] and told == ["stale"]


@pytest.mark.parametrize("occurred_at", ["2026-03-02T13:35:30Z", "2026-03-02T14:10:30Z",
                                         "2026-03-02T15:05:30+01:00"])
def test_the_window_holds_its_edges_whatever_the_offset(told, occurred_at):
    assert call(app_with(Pages(), told), event(occurred_at=occurred_at))[0] == 202


def test_a_stale_event_of_a_type_that_moves_nothing_is_still_stale(told):
    old = event(event_type="service.updated", occurred_at="2026-03-01T09:00:00Z")
    status, _, _ = call(app_with(Pages(), told), old)
    assert status == 401 and told == ["stale"]


@pytest.mark.parametrize(("length", "status", "outcome"), [("", 411, "invalid"), ("12a", 400, "invalid"),
                                                           (str(MAX_BODY + 1), 413, "too_large")])
def test_a_missing_bad_or_too_large_length_is_refused_unread(told, length, status, outcome):
    body, pages = io.BytesIO(json.dumps(event()).encode()), Pages()
    assert call(app_with(pages, told), length=length, stream=body)[0] == status
    assert body.tell() == 0 and pages.received == [] and told == [outcome]


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"event": {', "the body is not JSON"),
    (b"\xff\xfe{}", "the body is not JSON"),
    ([event()], "no event"),
    ({"messages": []}, "no event"),
    ({"event": {**event()["event"], "id": 7}}, "event.id must be a non-empty string"),
    ({"event": {k: v for k, v in event()["event"].items() if k != "event_type"}}, "event.event_type"),
    (event(occurred_at="yesterday"), "not an ISO 8601 time"),
    (event(occurred_at="2026-03-02T14:05:12"), "no time zone"),
    (event(agent="Alex"), "event.agent must be an object or null"),
    ({"event": {**event()["event"], "data": None}}, "event.data must be an incident"),
    (event(type="incident_note"), "event.data must be an incident"),
    (event(incident_key=None), "event.data.incident_key must be a non-empty string"),
    (event(html_url=""), "event.data.html_url must be a non-empty string"),
])
def test_a_signed_body_that_is_not_a_pagerduty_event_is_400_naming_the_problem(told, body, problem):
    pages = Pages()
    status, answer, _ = call(app_with(pages, told), body)
    assert status == 400 and problem in answer["error"], answer
    assert pages.received == [] and told == ["invalid"]


@pytest.mark.parametrize("event_type", ["incident.triggered", "incident.reassigned", "incident.annotated",
                                        "service.updated"])
def test_event_types_that_move_no_page_are_ignored_without_asking_receive(told, event_type):
    pages = Pages()
    body = event(event_type=event_type)
    if event_type == "service.updated":  # its data is a service, not an incident: not read at all
        body["event"]["data"] = {"id": "PF9KMXH", "type": "service", "summary": "API Service"}
    assert call(app_with(pages, told), body)[:2] == (202, {"outcome": "ignored"})
    assert pages.received == [] and told == ["ignored"]


def test_the_store_away_is_a_503_pagerduty_retries(told):
    status, answer, _ = call(app_with(Pages(fail=True), told))
    assert status == 503 and "send it again" in answer["error"] and told == ["unavailable"]


def test_other_paths_methods_and_no_secret(told):
    pages = Pages()
    assert call(app_with(pages, told), path="/pagerduty/")[0] == 404
    status, _, headers = call(app_with(pages, told), method="GET")
    assert status == 405 and headers["Allow"] == "POST"
    assert call(app_with(pages, told, secrets=()), signed="v1=")[0] == 404
    assert call(app_with(pages, told, secrets=("",)))[0] == 404
    assert pages.received == [] and told == []


def test_secrets_are_asked_on_every_request_so_a_rotated_secret_needs_no_restart(told):
    current, pages = [SECRET], Pages()
    app = pagerduty_app(secrets=lambda: current, receive=pages.receive, clock=lambda: NOW)
    assert call(app)[0] == 202
    current[:] = [ROTATED]
    assert call(app)[0] == 401


def answering(name: str):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"by": name}).encode()]

    return app


@pytest.mark.parametrize(("alerts", "pagerduty", "path", "expected"), [
    (True, True, "/alerts/alertmanager", (200, {"by": "alerts"})),
    (True, True, "/alerts/unknown", (200, {"by": "alerts"})),  # alert intake's own 404 names its paths
    (True, True, "/pagerduty", (200, {"by": "pagerduty"})),
    (True, True, "/slack/events", (404, {})),
    (True, True, "/pagerduty/x", (404, {})),
    (False, True, "/alerts/grafana", (404, {})),
    (True, False, "/pagerduty", (404, {})),
])
def test_the_shared_port_routes_alerts_and_pagerduty_and_nothing_else(alerts, pagerduty, path, expected):
    app = partner_app(answering("alerts") if alerts else None, answering("pagerduty") if pagerduty else None)
    assert call(app, path=path)[:2] == expected


def test_with_neither_on_there_is_nothing_to_serve():
    assert partner_app(None, None) is None


def test_beside_slack_events_pagerduty_is_reached_without_slacks_signature():
    """Bolt, the probes' health and Slack's secret are never reached on this path: stand-ins will do."""
    def edge(pagerduty):
        return wsgi_app(None, signing_secret="slack-secret", health=None, metrics=Metrics(), pagerduty=pagerduty)

    assert call(edge(answering("pagerduty")))[:2] == (200, {"by": "pagerduty"})
    assert call(edge(answering("pagerduty")), path="/slack/events")[0] == 401  # PagerDuty's signature is not Slack's
    assert call(edge(None))[0] == 404
