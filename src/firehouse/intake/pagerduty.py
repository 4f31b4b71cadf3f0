"""`POST /pagerduty`: PagerDuty's v3 webhooks, so that a page's acknowledgement comes back to the war room.

In this order, before anything is recorded: the path, and at least one webhook secret (404: without one the
endpoint is off), POST (405), a Content-Length within 1 MiB (411, 400, 413, refused unread), PagerDuty's
signature (401), JSON (400), an event of PagerDuty's shape (400), and one that happened at most 30 minutes ago
and at most 5 minutes ahead (401 "stale": a captured delivery cannot be replayed later). Event types that
move no page are answered 202 "ignored"; the rest go to `receive`, whose word is the 202's outcome. `receive`
failing is a 503, which PagerDuty retries.

PagerDuty signs the raw body: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 under the subscription's secret>`,
several of them comma-separated while a secret is rotated; any one matching any configured secret lets it in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from firehouse.intake.app import WSGIApp, answer, length_refusal
from firehouse.usecases.incidents import utc_now

log = logging.getLogger(__name__)

PATH = "/pagerduty"
PAST = timedelta(minutes=30)  # older is refused as a replay; PagerDuty retries a delivery for about 20 minutes
FUTURE = timedelta(minutes=5)  # PagerDuty's clock and ours may drift apart, not further than this
SIGNATURE_HEADER = "HTTP_X_PAGERDUTY_SIGNATURE"
# The event types that move a page, and the page state each moves it to; PagerDuty sends many more.
STATES = {"incident.acknowledged": "acknowledged", "incident.unacknowledged": "triggered",
          "incident.resolved": "resolved"}


@dataclass(frozen=True)
class PagerDutyWebhook:
    """One PagerDuty event that moves a page: the page is the one whose dedup key is `incident_key`."""

    event_id: str  # the same on every retry of a delivery: a second one is a duplicate
    event_type: str  # one of STATES
    incident_key: str  # the trigger's dedup_key
    who: str  # the agent's summary (a person's name), or "PagerDuty" when no one acted (an auto-resolve)
    occurred_at: datetime
    html_url: str  # the incident in PagerDuty

    @property
    def state(self) -> str:
        """The page state this event moves the page to (acknowledged, triggered, resolved)."""
        return STATES[self.event_type]


class BadEvent(ValueError):
    """The body is JSON, but not an event of PagerDuty's shape."""


class StaleEvent(ValueError):
    """The event happened too long ago, or too far ahead, to be taken."""


def pagerduty_app(*, secrets: Callable[[], Sequence[str]], receive: Callable[[PagerDutyWebhook], str],
                  on_delivery: Callable[[str], object] = lambda outcome: None,
                  clock: Callable[[], datetime] = utc_now) -> WSGIApp:
    """The WSGI app for POST /pagerduty. `receive` records an event and answers recorded, duplicate, unknown (no
    page has that key) or ignored; `on_delivery` is told each request's outcome: receive's word, or
    unauthorized, stale, invalid, too_large, unavailable. `secrets` is asked on every request."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        keys = [secret.encode() for secret in secrets() if secret]
        if environ.get("PATH_INFO") != PATH or not keys:
            return answer(start_response, 404, {"error": "not found"})
        if environ.get("REQUEST_METHOD") != "POST":
            return answer(start_response, 405, {"error": "use POST"}, [("Allow", "POST")])
        refused = length_refusal(environ)
        if refused:
            on_delivery("too_large" if refused[0] == 413 else "invalid")
            return answer(start_response, refused[0], {"error": refused[1]})
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        if not signed(body, environ.get(SIGNATURE_HEADER) or "", keys):
            on_delivery("unauthorized")
            return answer(start_response, 401, {"error": "X-PagerDuty-Signature does not match: v1=<hex HMAC-SHA256"
                                                          " of the body with the webhook subscription's secret>"})
        try:
            webhook = read(json.loads(body), now=clock())
        except StaleEvent as err:
            on_delivery("stale")
            return answer(start_response, 401, {"error": str(err)})
        except (ValueError, RecursionError) as err:  # BadEvent, or not JSON at all (or nested too deep to read)
            on_delivery("invalid")
            problem = str(err) if isinstance(err, BadEvent) else f"the body is not JSON: {err}"
            return answer(start_response, 400, {"error": problem})
        if webhook is None:
            on_delivery("ignored")
            return answer(start_response, 202, {"outcome": "ignored"})
        try:
            outcome = receive(webhook)
        except Exception as err:  # the store is away: PagerDuty retries a 5xx, so the acknowledgement is not lost
            log.warning("a PagerDuty webhook could not be recorded: %s", err.__class__.__name__)
            on_delivery("unavailable")
            return answer(start_response, 503, {"error": "the event could not be recorded; send it again"})
        on_delivery(outcome)
        return answer(start_response, 202, {"outcome": outcome})

    return application


def signed(body: bytes, header: str, keys: Sequence[bytes]) -> bool:
    """Whether any signature in the header is the body's `v1=` HMAC-SHA256 under any of the keys."""
    # WSGI hands header values over as latin-1 strings: back to the bytes that were sent.
    given = [part.strip().encode("latin-1") for part in header.split(",")]
    expected = [b"v1=" + hmac.new(key, body, hashlib.sha256).hexdigest().encode() for key in keys]
    return any(hmac.compare_digest(mine, theirs) for mine in expected for theirs in given)


def read(data: object, *, now: datetime) -> PagerDutyWebhook | None:
    """The event in a webhook's body, or None when its type moves no page. Raises BadEvent or StaleEvent."""
    event = data.get("event") if isinstance(data, dict) else None
    if not isinstance(event, dict):
        raise BadEvent("no event: the body needs an `event` object")
    event_id, event_type = _text(event, "id", "event"), _text(event, "event_type", "event")
    occurred_at = _moment(_text(event, "occurred_at", "event"))
    if not now - PAST <= occurred_at <= now + FUTURE:
        raise StaleEvent(f"stale: event.occurred_at {event['occurred_at']} is more than {_minutes(PAST)} minutes"
                         f" ago or {_minutes(FUTURE)} minutes ahead")
    if event_type not in STATES:
        return None
    agent, incident = event.get("agent"), event.get("data")
    if agent is not None and not isinstance(agent, dict):
        raise BadEvent("event.agent must be an object or null")
    if not isinstance(incident, dict) or incident.get("type") != "incident":
        raise BadEvent(f"event.data must be an incident (type \"incident\") for {event_type}")
    who = agent.get("summary") if agent else None
    return PagerDutyWebhook(event_id=event_id, event_type=event_type,
                            incident_key=_text(incident, "incident_key", "event.data"),
                            who=who.strip() if isinstance(who, str) and who.strip() else "PagerDuty",
                            occurred_at=occurred_at, html_url=_text(incident, "html_url", "event.data"))


def _text(part: dict, key: str, where: str) -> str:
    value = part.get(key)
    if not isinstance(value, str) or not value:
        raise BadEvent(f"{where}.{key} must be a non-empty string")
    return value


def _moment(text: str) -> datetime:
    """An ISO 8601 time with its offset (PagerDuty's `2020-10-02T18:45:22.169Z`)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadEvent(f"event.occurred_at is not an ISO 8601 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise BadEvent("event.occurred_at has no time zone")
    return moment


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)
