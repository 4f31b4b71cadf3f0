"""Events to `[[events]]` receivers: a local receiver checks each body with `standardwebhooks` and reads it with the
`cloudevents` package, as a subscriber's own code would; redaction, drills, and every way a receiver fails."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botprocess import free_port
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from localserver import LocalServer, Reply, Request
from standardwebhooks import Webhook, WebhookVerificationError

from firehouse.config.paging import Subscription
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.events import SeverityChanged
from firehouse.domain.model import Incident
from firehouse.domain.notifications import REDACTED, Published, notification
from firehouse.domain.severity import Severity
from firehouse.integrations.receivers import CONTENT_TYPE, HttpReceivers, envelope

SECRET = "whsec_" + base64.b64encode(b"firehouse events test secret 32b").decode()
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TITLE = "Tenant A's agent answered with tenant B's refunds"


class Got(Request):
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver(LocalServer):
    """A tiny HTTP receiver on 127.0.0.1: keeps every request and answers 204, or the statuses a test queues."""

    name = "the receiver"

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._got: list[Got] = []
        self._statuses: deque[int] = deque()

    def answer(self, request: Request) -> Reply:
        with self._changed:
            status = self._statuses.popleft() if self._statuses else 204
            self._got.append(Got(request.method, request.path, request.headers, request.body))
            self._changed.notify_all()
        return Reply(status, b"" if status == 204 else b"try later")

    def answer_next(self, *statuses: int) -> None:
        with self._changed:
            self._statuses.extend(statuses)

    @property
    def got(self) -> list[Got]:
        with self._changed:
            return list(self._got)

    def wait_for(self, found: Callable[[list[Got]], Any], timeout: float = 15.0) -> Any:
        """Wait until `found(requests so far)` is truthy (for a sender that posts on its own schedule)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (answer := found(list(self._got))):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not received within {timeout:g} s; got {self._got}")
                self._changed.wait(left)
            return answer


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def receivers():
    with HttpReceivers() as sending:
        yield sending


def subscription(url: str, **changes: Any) -> Subscription:
    return replace(Subscription(name="warehouse", url=f"{url}/events", secret=SECRET,
                                timeout=timedelta(seconds=5)), **changes)


def escalated(*, class_id: str = "data", drill: bool = False, at: datetime = AT) -> Published:
    """incident.severity_changed for incident 7, built by the domain as the outbox keeps it."""
    incident, _ = Incident.declare(title=TITLE, severity=Severity.SEV2, incident_class=DEFAULT_CLASSES[class_id],
                                   by="UALICE", at=at - timedelta(minutes=20), drill=drill)
    incident.id = 7
    note = notification(SeverityChanged(at, "UBOB", Severity.SEV2, Severity.SEV1, "a second tenant is affected"),
                        incident)
    return Published(id="evt-7-0042", incident_id=7, type=note.type, at=at, data=note.data, drill=drill, seq=42)


def verified_event(got: Got, secret: str = SECRET):
    """What a subscriber's code does: check the signature, then read the CloudEvent."""
    Webhook(secret).verify(got.body, got.headers)
    return from_http_event(HTTPMessage(headers=got.headers, body=got.body))


def test_an_event_arrives_as_a_signed_cloudevent_whose_id_is_the_webhook_id(receiver, receivers):
    answer = receivers.send(subscription(receiver.url), escalated(class_id="output"))

    assert (answer.ok, answer.retry, answer.text) == (True, False, "warehouse accepted (204)")
    [got] = receiver.got
    assert (got.method, got.path, got.headers["content-type"]) == ("POST", "/events", CONTENT_TYPE)
    event = verified_event(got)
    assert got.headers["webhook-id"] == event.get_id() == "evt-7-0042"
    assert event.get_specversion() == "1.0"
    assert event.get_source() == "/firehouse/incidents/7"
    assert event.get_type() == "incident.severity_changed"
    assert event.get_subject() == "incident/7"
    assert event.get_datacontenttype() == "application/json"
    assert event.get_time() == AT
    assert json.loads(got.body)["time"] == "2026-03-02T09:30:00Z"
    data = event.get_data()
    assert (data["previous"], data["severity"], data["reason"]) == ("sev2", "sev1", "a second tenant is affected")
    assert data["incident"]["title"] == TITLE
    assert event.get_extension("drill") is None


def test_the_time_is_utc_whatever_zone_the_moment_was_kept_in(receiver, receivers):
    kept = replace(escalated(class_id="output"), at=AT.astimezone(timezone(timedelta(hours=-5))))

    receivers.send(subscription(receiver.url), kept)

    assert receiver.got[0].json()["time"] == "2026-03-02T09:30:00Z"


def test_a_private_incidents_title_and_texts_are_redacted_for_a_subscription_not_allowed_them(receiver, receivers):
    published = escalated(class_id="data")  # the data class is private
    assert published.data["incident"]["private"] is True

    receivers.send(subscription(receiver.url), published)

    data = verified_event(receiver.got[0]).get_data()
    assert data["incident"]["title"] == REDACTED
    assert data["reason"] == REDACTED
    assert (data["incident"]["id"], data["incident"]["severity"], data["severity"]) == (7, "sev2", "sev1")
    assert TITLE not in receiver.got[0].body.decode()


def test_a_subscription_allowed_private_incidents_gets_them_whole(receiver, receivers):
    receivers.send(subscription(receiver.url, private=True), escalated(class_id="data"))

    data = verified_event(receiver.got[0]).get_data()
    assert (data["incident"]["title"], data["reason"]) == (TITLE, "a second tenant is affected")


def test_a_drills_events_say_so_in_an_extension_attribute(receiver, receivers):
    receivers.send(subscription(receiver.url), escalated(class_id="output", drill=True))

    event = verified_event(receiver.got[0])
    assert event.get_extension("drill") is True
    assert event.get_data()["incident"]["drill"] is True


def test_the_envelope_is_what_is_sent_so_a_replay_sends_the_same_event_with_the_same_id(receiver, receivers):
    published = escalated(class_id="data")
    sub = subscription(receiver.url)

    receivers.send(sub, published)
    receivers.send(sub, published)

    first, again = receiver.got
    assert first.json() == again.json() == envelope(published, sub)
    assert first.headers["webhook-id"] == again.headers["webhook-id"] == published.id
    assert envelope(published, replace(sub, private=True))["data"] == published.data


def test_a_body_changed_on_the_way_or_signed_with_another_secret_fails_verification(receiver, receivers):
    receivers.send(subscription(receiver.url), escalated(class_id="output"))
    got = receiver.got[0]

    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(got.body.replace(b"sev1", b"sev3"), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"another secret, another receiver").decode()).verify(got.body,
                                                                                                   got.headers)


@pytest.mark.parametrize("status", [400, 404, 410, 429, 500, 503])
def test_every_answer_but_a_2xx_is_tried_again_later(receiver, receivers, status):
    receiver.answer_next(status)

    answer = receivers.send(subscription(receiver.url), escalated(class_id="output"))

    assert (answer.ok, answer.retry, answer.text) == (False, True, f"warehouse answered {status} try later")
    assert len(receiver.got) == 1


def test_a_receiver_nobody_listens_on_is_tried_again_later(receivers):
    url = f"http://127.0.0.1:{free_port()}"

    answer = receivers.send(subscription(url), escalated(class_id="output"))

    assert (answer.ok, answer.retry) == (False, True)
    assert answer.text == f"could not reach {url}/events (ConnectError)"


def test_a_receiver_that_accepts_and_never_answers_is_given_up_on_after_its_timeout(receivers):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the handshake; nothing ever reads or writes
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        began = time.monotonic()

        answer = receivers.send(subscription(url, timeout=timedelta(seconds=0.5)), escalated(class_id="output"))

    assert (answer.ok, answer.retry, answer.text) == (False, True, "warehouse did not answer within 0.5 s")
    assert time.monotonic() - began < 5


def test_one_failing_receiver_does_not_stop_the_next_delivery(receiver, receivers):
    receiver.answer_next(500)
    published = escalated(class_id="output")

    failed = receivers.send(subscription(receiver.url), published)
    delivered = receivers.send(subscription(receiver.url, name="tracker"), replace(published, id="evt-7-0043"))

    assert (failed.ok, delivered.ok) == (False, True)
    assert [got.headers["webhook-id"] for got in receiver.got] == ["evt-7-0042", "evt-7-0043"]
