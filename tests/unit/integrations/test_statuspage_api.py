"""Publishing to Atlassian Statuspage through a stand-in that holds every request to Statuspage's documented contract
(statuspageserver.py): an incident opened, updated and resolved with its components, the bodies sent, every way
Statuspage refuses or fails, `firehouse doctor`'s check, and the stand-in's own refusals."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from botprocess import free_port
from statuspageserver import API_KEY, NO_WRAPPER, PAGE_ID, statuspage  # noqa: F401

from firehouse.config.statuspage import StatuspageSettings
from firehouse.domain.statuspage import PublicStatus, StatusUpdate, fingerprint
from firehouse.integrations.statuspage import HttpStatusPages, incident_request

REFUNDS, CHAT = "8kbf7d35c070", "vtnh60py4yd7"  # the stand-in's components
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TITLE = "Refunds approved in error"
BODY = "Some refund requests were approved without review. We have paused automatic approvals."


@pytest.fixture(scope="module")
def pages():
    with HttpStatusPages() as sending:
        yield sending


def settings(url: str, **changes: Any) -> StatuspageSettings:
    return replace(StatuspageSettings(page_id=PAGE_ID, api_key=API_KEY, api_key_env="STATUSPAGE_API_KEY", url=url,
                                      components={"output": REFUNDS, "data": CHAT},
                                      timeout=timedelta(seconds=5)), **changes)


def update(status: PublicStatus = PublicStatus.INVESTIGATING, **changes: Any) -> StatusUpdate:
    return replace(StatusUpdate(incident_id=7, notice_id=3, public_id="p7", title=TITLE, body=BODY, status=status,
                                fingerprint=fingerprint(TITLE, BODY), impact="critical", class_id="output",
                                component_state="major_outage",
                                requested_by="UBOB", requested_at=AT), **changes)


def sent(received) -> dict:
    return received.json["incident"]


# --- publishing ----------------------------------------------------------------------------------------------------


def test_an_incident_is_opened_updated_and_resolved_with_its_component(statuspage, pages):  # noqa: F811
    page = settings(statuspage.url)

    opened = pages.send(page, update(), incident=None, components={REFUNDS: "major_outage"})
    [incident] = statuspage.incidents.values()
    assert (opened.ok, opened.retry) == (True, False)
    assert opened.text == f"Statuspage incident {incident['id']} investigating"
    assert (opened.reference, opened.link) == (incident["id"], incident["shortlink"])
    assert statuspage.components[REFUNDS]["status"] == "major_outage"
    assert incident["impact"] == "critical"

    identified = pages.send(page, update(PublicStatus.IDENTIFIED, body="We found the cause."),
                            incident=opened.reference, components={REFUNDS: "partial_outage"})
    assert (identified.ok, identified.text) == (True, f"Statuspage incident {opened.reference} identified")
    assert statuspage.components[REFUNDS]["status"] == "partial_outage"

    resolved = pages.send(page, update(PublicStatus.RESOLVED, body="Approvals are reviewed again.",
                                       component_state="operational"),
                          incident=opened.reference, components={REFUNDS: "operational"})
    assert (resolved.ok, resolved.reference, resolved.link) == (True, opened.reference, opened.link)
    incident = statuspage.incidents[opened.reference]
    assert (incident["status"], incident["resolved_at"] is not None) == ("resolved", True)
    assert [c["status"] for c in statuspage.components.values()] == ["operational", "operational"]
    assert [(u["status"], u["body"]) for u in incident["incident_updates"]] == [
        ("resolved", "Approvals are reviewed again."), ("identified", "We found the cause."), ("investigating", BODY)]
    assert [(r.method, r.status, r.problems) for r in statuspage.received] == [
        ("POST", 201, ()), ("PATCH", 200, ()), ("PATCH", 200, ())]


def test_an_incident_is_opened_with_every_field_and_header_statuspage_reads(statuspage, pages):  # noqa: F811
    pages.send(settings(statuspage.url), update(), incident=None, components={REFUNDS: "major_outage"})

    [received] = statuspage.received
    assert (received.method, received.path) == ("POST", f"/v1/pages/{PAGE_ID}/incidents")
    assert received.headers["authorization"] == f"OAuth {API_KEY}"
    assert (received.headers["content-type"], received.headers["accept"]) == ("application/json", "application/json")
    assert received.json == {"incident": {
        "name": TITLE, "status": "investigating", "body": BODY, "impact_override": "critical",
        "deliver_notifications": False, "component_ids": [REFUNDS], "components": {REFUNDS: "major_outage"}}}


def test_an_update_leaves_the_impact_to_statuspage_and_names_the_incident(statuspage, pages):  # noqa: F811
    page = settings(statuspage.url)
    opened = pages.send(page, update(), incident=None, components={REFUNDS: "major_outage"})

    pages.send(page, update(PublicStatus.MONITORING), incident=opened.reference, components={REFUNDS: "operational"})

    received = statuspage.received[-1]
    assert (received.method, received.path) == ("PATCH", f"/v1/pages/{PAGE_ID}/incidents/{opened.reference}")
    assert "impact_override" not in sent(received)
    assert sent(received)["status"] == "monitoring"


def test_without_components_neither_components_key_is_sent(statuspage, pages):  # noqa: F811
    answer = pages.send(settings(statuspage.url), update(), incident=None, components={})

    assert answer.ok, answer.text
    assert not {"component_ids", "components"} & set(sent(statuspage.received[0]))
    assert next(iter(statuspage.incidents.values()))["components"] == []


@pytest.mark.parametrize("notify", [False, True])
def test_subscribers_hear_of_an_update_only_when_the_page_says_notify(statuspage, pages, notify):  # noqa: F811
    pages.send(settings(statuspage.url, notify=notify), update(), incident=None, components={})

    assert sent(statuspage.received[0])["deliver_notifications"] is notify
    [incident] = statuspage.incidents.values()
    assert incident["incident_updates"][0]["deliver_notifications"] is notify


def test_the_request_is_built_without_a_server():
    page = settings("https://api.statuspage.io")

    opening = incident_request(page, update(), incident=None, components={})
    updating = incident_request(page, update(), incident="p31zjtct2jer", components={})

    assert (opening.method, opening.url) == ("POST", f"https://api.statuspage.io/v1/pages/{PAGE_ID}/incidents")
    assert (updating.method, updating.url) == (
        "PATCH", f"https://api.statuspage.io/v1/pages/{PAGE_ID}/incidents/p31zjtct2jer")
    assert json.loads(updating.body) == {"incident": {"name": TITLE, "status": "investigating", "body": BODY,
                                                      "deliver_notifications": False}}


def test_an_incident_without_a_shortlink_links_to_statuspages_manager(statuspage, pages):  # noqa: F811
    statuspage.answer_next(201, body={"id": "p31zjtct2jer", "status": "investigating"})

    answer = pages.send(settings(statuspage.url), update(), incident=None, components={})

    assert (answer.ok, answer.reference) == (True, "p31zjtct2jer")
    assert answer.link == f"https://manage.statuspage.io/pages/{PAGE_ID}/incidents/p31zjtct2jer"


@pytest.mark.parametrize("body", [{"name": TITLE}, {}, []])
def test_a_2xx_without_an_incident_id_is_not_taken_and_tried_again(statuspage, pages, body):  # noqa: F811
    statuspage.answer_next(201, body=body)

    answer = pages.send(settings(statuspage.url), update(), incident=None, components={})

    assert (answer.ok, answer.retry, answer.reference) == (False, True, None)
    assert answer.text == "Statuspage answered 201 without an incident id; will try again"


# --- refused for good ----------------------------------------------------------------------------------------------


def test_a_key_statuspage_refuses_is_not_retried_and_names_the_variable(statuspage, pages):  # noqa: F811
    answer = pages.send(settings(statuspage.url, api_key="not-the-key"), update(), incident=None, components={})

    assert (answer.ok, answer.retry) == (False, False)
    assert answer.text == ("Statuspage refused the API key (401): check the variable named by api_key_env"
                           " (STATUSPAGE_API_KEY)")
    assert statuspage.received[0].status == 401 and statuspage.incidents == {}


def test_a_key_without_access_to_the_page_is_not_retried(statuspage, pages):  # noqa: F811
    statuspage.answer_next(403)

    answer = pages.send(settings(statuspage.url, api_key_env=""), update(), incident=None, components={})

    assert (answer.ok, answer.retry) == (False, False)
    assert answer.text == "Statuspage refused the API key (403): check the variable named by api_key_env"
    assert statuspage.received[0].problems == ()


def test_an_unknown_component_is_refused_in_statuspages_words_and_not_retried(statuspage, pages):  # noqa: F811
    answer = pages.send(settings(statuspage.url), update(), incident=None, components={"zzzzzzzzzzzz": "major_outage"})

    assert (answer.ok, answer.retry) == (False, False)
    assert answer.text == (f"Statuspage refused the update (422): Components zzzzzzzzzzzz could not be found on page"
                           f" {PAGE_ID}")
    assert statuspage.incidents == {}


def test_statuspages_422_is_shown_in_one_line_of_at_most_200_characters(statuspage, pages):  # noqa: F811
    statuspage.answer_next(422, body={"error": [f"Problem {n}\nof many" for n in range(40)]})

    answer = pages.send(settings(statuspage.url), update(), incident=None, components={})

    assert (answer.ok, answer.retry) == (False, False)
    assert len(answer.text) == 200 and answer.text.endswith("…") and "\n" not in answer.text
    assert answer.text.startswith("Statuspage refused the update (422): Problem 0 of many; Problem 1 of many")


def test_an_incident_deleted_on_statuspage_is_not_updated_again(statuspage, pages):  # noqa: F811
    answer = pages.send(settings(statuspage.url), update(PublicStatus.RESOLVED), incident="p31zjtct2jer",
                        components={REFUNDS: "operational"})

    assert (answer.ok, answer.retry, answer.gone) == (False, False, True)
    assert answer.text == (f"Statuspage incident p31zjtct2jer is gone from page {PAGE_ID} (404): it was deleted"
                           " there, so this update was not published; Publish again opens a new one")


def test_an_unknown_page_is_not_retried(statuspage, pages):  # noqa: F811
    answer = pages.send(settings(statuspage.url, page_id="zzzzzzzzzzzz"), update(), incident=None, components={})

    assert (answer.ok, answer.retry) == (False, False)
    assert answer.text == "Statuspage has no page zzzzzzzzzzzz for this key (404): check page_id"


# --- tried again ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "text"), [
    (420, "Statuspage is rate limiting this key (420); will try again"),
    (429, "Statuspage is rate limiting this key (429); will try again"),
    (500, "Statuspage answered 500; will try again"),
    (503, "Statuspage answered 503; will try again"),
])
def test_throttled_or_down_is_tried_again_and_the_request_was_well_formed(statuspage, pages, status,  # noqa: F811
                                                                          text):
    statuspage.answer_next(status)

    answer = pages.send(settings(statuspage.url), update(), incident=None, components={REFUNDS: "major_outage"})

    assert (answer.ok, answer.retry, answer.text) == (False, True, text)
    assert [(r.status, r.problems) for r in statuspage.received] == [(status, ())]
    assert statuspage.incidents == {}  # a throttled request changes nothing


def test_statuspage_not_answering_within_the_timeout_is_tried_again(pages):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the handshake; nothing ever reads or writes
        page = settings(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=timedelta(seconds=0.5))
        began = time.monotonic()

        answer = pages.send(page, update(), incident=None, components={})

    assert (answer.ok, answer.retry, answer.text) == (False, True, "Statuspage did not answer within 0.5 s")
    assert time.monotonic() - began < 5


def test_statuspage_nobody_listens_on_is_tried_again(pages):
    url = f"http://127.0.0.1:{free_port()}"

    answer = pages.send(settings(url), update(), incident="p31zjtct2jer", components={})

    assert (answer.ok, answer.retry) == (False, True)
    assert answer.text == f"could not reach {url}/v1/pages/{PAGE_ID}/incidents/p31zjtct2jer (ConnectError)"


# --- firehouse doctor ----------------------------------------------------------------------------------------------


def test_a_page_with_its_components_passes_the_check_with_two_harmless_reads(statuspage, pages):  # noqa: F811
    assert pages.check(settings(statuspage.url)) is None

    assert [(r.method, r.path, r.status) for r in statuspage.received] == [
        ("GET", f"/v1/pages/{PAGE_ID}", 200), ("GET", f"/v1/pages/{PAGE_ID}/components", 200)]
    assert statuspage.incidents == {}


def test_the_check_names_a_refused_key(statuspage, pages):  # noqa: F811
    problem = pages.check(settings(statuspage.url, api_key="not-the-key"))

    assert problem == ("Statuspage refused the API key (401): check the variable named by api_key_env"
                       " (STATUSPAGE_API_KEY)")


def test_the_check_names_an_unknown_page(statuspage, pages):  # noqa: F811
    assert pages.check(settings(statuspage.url, page_id="zzzzzzzzzzzz")) == (
        "Statuspage has no page zzzzzzzzzzzz for this key (404): check page_id")


def test_the_check_names_each_component_id_the_page_lacks(statuspage, pages):  # noqa: F811
    page = settings(statuspage.url, components={"output": REFUNDS, "data": "zzzzzzzzzzzz", "cost": "yyyyyyyyyyyy"})

    assert pages.check(page) == (f"Statuspage's page {PAGE_ID} has no component zzzzzzzzzzzz (components.data),"
                                 " yyyyyyyyyyyy (components.cost)")


def test_the_check_names_a_statuspage_it_cannot_reach(pages):
    url = f"http://127.0.0.1:{free_port()}"

    assert pages.check(settings(url)) == f"could not reach {url}/v1/pages/{PAGE_ID} (ConnectError)"


def test_the_check_says_what_statuspage_answered_to_the_components(statuspage, pages):  # noqa: F811
    statuspage.answer_next(200, body={"id": PAGE_ID})
    statuspage.answer_next(500)

    problem = pages.check(settings(statuspage.url))

    assert problem == (f"Statuspage answered 500 at {statuspage.url}/v1/pages/{PAGE_ID}/components:"
                       " Internal server error")


# --- the stand-in's own refusals -----------------------------------------------------------------------------------


def post(statuspage, body: Any, *, headers: dict[str, str] | None = None,  # noqa: F811
         path: str = "incidents") -> httpx.Response:
    sent_headers = {"Authorization": f"OAuth {API_KEY}", "Content-Type": "application/json", **(headers or {})}
    return httpx.post(f"{statuspage.url}/v1/pages/{PAGE_ID}/{path}", content=json.dumps(body),
                      headers=sent_headers, timeout=10)


OPENING = {"name": TITLE, "status": "investigating", "body": BODY, "impact_override": "major",
           "deliver_notifications": False, "component_ids": [REFUNDS], "components": {REFUNDS: "partial_outage"}}


def test_the_stand_in_takes_a_well_formed_incident_in_statuspages_shape(statuspage):  # noqa: F811
    answer = post(statuspage, {"incident": OPENING})

    assert answer.status_code == 201
    incident = answer.json()
    assert {"id", "name", "status", "impact", "shortlink", "created_at", "updated_at", "resolved_at",
            "incident_updates", "components"} <= set(incident)
    assert (incident["name"], incident["status"], incident["impact"]) == (TITLE, "investigating", "major")
    assert [(u["status"], u["body"]) for u in incident["incident_updates"]] == [("investigating", BODY)]
    assert [(c["id"], c["name"], c["status"]) for c in incident["components"]] == [
        (REFUNDS, "Refund agent", "partial_outage")]


@pytest.mark.parametrize(("body", "status", "why"), [
    (OPENING, 400, "the body must be wrapped as {\"incident\": {…}}"),
    ({"incident": {**OPENING, "status": "contained"}}, 422, "Status 'contained' is not included in the list"),
    ({"incident": {**OPENING, "impact_override": "sev1"}}, 422, "Impact override 'sev1' is not included in the list"),
    ({"incident": {**OPENING, "component_ids": ["zzzzzzzzzzzz"]}}, 422, "Components zzzzzzzzzzzz could not be found"),
    ({"incident": {**OPENING, "components": {REFUNDS: "down"}}}, 422, "status 'down' is not included in the list"),
    ({"incident": {**OPENING, "name": ""}}, 422, "Name can't be blank"),
    ({"incident": {**OPENING, "name": "x" * 256}}, 422, "Name is too long (maximum is 255 characters)"),
    ({"incident": {**OPENING, "deliver_notifications": "no"}}, 422, "Deliver notifications must be true or false"),
], ids=["no incident wrapper", "firehouse's own status", "a severity for an impact", "an unknown component id",
        "an unknown component state", "no name", "a name past 255", "notifications not a boolean"])
def test_the_stand_in_refuses_what_statuspages_contract_refuses(statuspage, body, status, why):  # noqa: F811
    answer = post(statuspage, body)

    assert answer.status_code == status
    problems = statuspage.received[0].problems
    assert any(why in problem for problem in problems), problems
    # A 422 says every problem, as Statuspage's validations do; a body it cannot read is refused before any.
    assert answer.json()["error"] == ("; ".join(problems) if status == 422 else NO_WRAPPER["error"])
    assert statuspage.incidents == {}


def test_the_stand_in_refuses_a_key_without_statuspages_exact_scheme(statuspage):  # noqa: F811
    for scheme in (f"Oauth {API_KEY}", f"Bearer {API_KEY}", "OAuth wrong"):
        answer = post(statuspage, {"incident": OPENING}, headers={"Authorization": scheme})
        assert (answer.status_code, answer.json()) == (401, {"error": "Could not authenticate"})


def test_the_stand_in_refuses_json_sent_as_a_form(statuspage):  # noqa: F811
    answer = post(statuspage, {"incident": OPENING}, headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status_code == 400
    assert "Content-Type must be application/json for a JSON body" in statuspage.received[0].problems


def test_the_stand_in_refuses_an_update_to_an_unknown_incident(statuspage):  # noqa: F811
    answer = httpx.patch(f"{statuspage.url}/v1/pages/{PAGE_ID}/incidents/zzzzzzzzzzzz",
                         json={"incident": {"status": "resolved"}},
                         headers={"Authorization": f"OAuth {API_KEY}"}, timeout=10)

    assert (answer.status_code, answer.json()) == (404, {"error": "The requested resource could not be found."})
