"""`[[events]]` end to end: the real `firehouse serve` sends every change to two local receivers, which check each
body as a subscriber's own code would (`standardwebhooks` verifies it, the `cloudevents` package reads it). A
receiver that answers 500 holds up no one else, and when it recovers it gets the same events, in order."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass

import pytest
from botprocess import BotProcess
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from localserver import LocalServer, Reply, Request
from standardwebhooks import Webhook

from firehouse.domain.notifications import REDACTED

TRACKER_SECRET = "whsec_" + base64.b64encode(b"the tracker's own signing secret").decode()
WAREHOUSE_SECRET = "whsec_" + base64.b64encode(b"the warehouse's own signing key!").decode()
CONFIG = """stakeholder_channel = "{stakeholders}"

[[events]]
name = "tracker"
url = "{tracker}/events"
secret_env = "TRACKER_EVENTS_SECRET"
types = ["incident.*", "firebreak.*"]
timeout = "3s"

[[events]]
name = "warehouse"
url = "{warehouse}/firehouse/events"
secret_env = "WAREHOUSE_EVENTS_SECRET"
types = ["incident.*", "firebreak.*"]
private = true
timeout = "3s"
"""


@dataclass(frozen=True)
class Got:
    """One request as the receiver got it, and the status it answered."""

    headers: dict[str, str]
    body: bytes
    status: int


class Receiver(LocalServer):
    """A subscriber's endpoint on 127.0.0.1: answers 204, or 500 while `failing`; keeps every request."""

    name = "the receiver"

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.failing = False
        self._lock = threading.Lock()
        self._got: list[Got] = []

    def answer(self, request: Request) -> Reply:
        status = 500 if self.failing else 204
        with self._lock:
            self._got.append(Got(request.headers, request.body, status))
        return Reply(status)

    def got(self, room: str, *, taken: bool | None = None) -> list[Got]:
        """What was sent about the incident whose war room is `room` (only what it took, or refused), in order."""
        with self._lock:
            return [got for got in self._got if json.loads(got.body)["data"]["incident"]["war_room"] == room
                    and taken in (None, got.status < 300)]

    def events(self, room: str) -> list:
        """The events it took about that incident, each verified and read as a subscriber's code would."""
        return [verified(got, self.secret) for got in self.got(room, taken=True)]


def verified(got: Got, secret: str):
    """Check the Standard Webhooks signature, then read the CloudEvent; its id is the webhook's id."""
    Webhook(secret).verify(got.body, got.headers)
    event = from_http_event(HTTPMessage(headers=got.headers, body=got.body))
    assert got.headers["webhook-id"] == event.get_id()
    return event


@pytest.fixture(scope="module")
def tracker():
    with Receiver(TRACKER_SECRET) as receiver:
        yield receiver


@pytest.fixture(scope="module")
def warehouse():
    with Receiver(WAREHOUSE_SECRET) as receiver:
        yield receiver


@pytest.fixture(scope="module")
def bot(fake, tracker, warehouse, tmp_path_factory):
    config = CONFIG.format(stakeholders=fake.stakeholders, tracker=tracker.url, warehouse=warehouse.url)
    env = {"TRACKER_EVENTS_SECRET": TRACKER_SECRET, "WAREHOUSE_EVENTS_SECRET": WAREHOUSE_SECRET}
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"), config=config, env=env) as process:
        yield process


def test_each_change_arrives_signed_in_order_and_a_failing_receiver_holds_up_no_one(fake, bot, declare, tracker,
                                                                                     warehouse):
    warehouse.failing = True
    try:
        room = declare("sev3 output Summaries cite a withdrawn refund policy")
        assert room.run("sev 2 customers quote it to support").startswith("Done")
        assert room.run("firebreak record kill-switch summariser paused summaries").startswith("Firebreak #")
        assert room.run("resolve rolled the prompt back").startswith("Done")
        events = fake.wait_for(lambda: (found := tracker.events(room.id))
                               and found[-1].get_type() == "incident.resolved" and found)
        refused = fake.wait_for(lambda: warehouse.got(room.id))  # meanwhile: the first event, refused
    finally:
        warehouse.failing = False

    assert [event.get_type() for event in events] == [
        "incident.declared", "incident.severity_changed", "firebreak.pulled", "incident.resolved"]
    ids = [event.get_id() for event in events]
    assert len(set(ids)) == len(ids)
    assert [event.get_time() for event in events] == sorted(event.get_time() for event in events)
    incident = events[0].get_data()["incident"]["id"]
    assert {event.get_source() for event in events} == {f"/firehouse/incidents/{incident}"}
    assert events[0].get_specversion() == "1.0"
    assert events[0].get_data()["incident"]["title"] == "Summaries cite a withdrawn refund policy"
    assert (events[1].get_data()["previous"], events[1].get_data()["severity"]) == ("sev3", "sev2")
    assert events[3].get_data()["summary"] == "rolled the prompt back"

    assert refused and {got.status for got in refused} == {500}
    assert {got.headers["webhook-id"] for got in refused} == {ids[0]}
    again = fake.wait_for(lambda: len(found := warehouse.events(room.id)) == len(ids) and found, timeout=25)
    assert [event.get_id() for event in again] == ids  # the same events, the same ids, in order
    assert again[0].get_data() == events[0].get_data()


def test_a_private_incidents_title_is_redacted_for_a_subscription_not_allowed_it(fake, bot, declare, tracker,
                                                                                  warehouse):
    title = "Tenant A's refunds shown to tenant B"
    room = declare(f"sev2 data {title}")

    [declared] = fake.wait_for(lambda: tracker.events(room.id))
    data = declared.get_data()
    assert (declared.get_type(), data["incident"]["title"], data["incident"]["private"]) == (
        "incident.declared", REDACTED, True)
    assert (data["incident"]["severity"], data["incident"]["class"]) == ("sev2", "data")
    assert title.encode() not in tracker.got(room.id)[0].body
    [whole] = fake.wait_for(lambda: warehouse.events(room.id))  # `private = true`: allowed the details
    assert whole.get_id() == declared.get_id() and whole.get_data()["incident"]["title"] == title
