"""The pagers: PagerDuty's Events API v2, an Alertmanager's `/api/v2/alerts`, or a webhook signed per Standard
Webhooks. Each request is built by a pure function of the pager and the request; one function posts it and reads
the answer the same way for all three, following PagerDuty's published retry rules (which suit the others too):

    2xx                    taken
    429, 5xx, no answer    not taken, try again later (`retry`)
    any other status       refused for good, in the partner's own words (PagerDuty's `message` and `errors`)

Nothing here raises for a partner's failure: it answers instead, in one line people can act on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from firehouse.config.paging import PagerSettings
from firehouse.domain.pages import PageRequest
from firehouse.integrations.http import Pooled, rfc3339, shown, signed_headers
from firehouse.usecases.ports import PartnerAnswer

# How long Alertmanager keeps a triggered alert firing without hearing of it again. The caller re-sends an open
# incident's alert every minute, so a lost process lets the page end on its own instead of firing for ever.
ALERTMANAGER_HOLD = timedelta(minutes=5)
PAGERDUTY_SEVERITY = {"sev1": "critical", "sev2": "error", "sev3": "warning"}
SUMMARY_LIMIT = 1024  # PagerDuty refuses a longer payload.summary
SOURCE = "firehouse"
NAMES = {"pagerduty": "PagerDuty", "alertmanager": "Alertmanager", "webhook": "the webhook"}


@dataclass(frozen=True)
class Post:
    """One request to a pager, and what its 2xx means in words."""

    url: str
    body: bytes
    headers: dict[str, str]
    accepted: Callable[[httpx.Response], str]


class HttpPagers(Pooled):
    """Sends each page by its pager's kind (Alertmanager hears from every open incident every minute, over the
    one pooled client); `check` is `firehouse doctor`'s harmless look at a pager."""

    def send(self, pager: PagerSettings, request: PageRequest) -> PartnerAnswer:
        name = NAMES[pager.kind]
        if request.action == "change" and pager.kind == "alertmanager":
            return PartnerAnswer(False, "Alertmanager takes no change events: only triggers and resolves")
        post = BUILDERS[pager.kind](pager, request, datetime.now(UTC))
        seconds = pager.timeout.total_seconds()
        try:
            response = self.client.post(post.url, content=post.body, headers=post.headers, timeout=seconds)
        except httpx.TimeoutException:
            return PartnerAnswer(False, f"{name} did not answer within {seconds:g} s", retry=True)
        except httpx.HTTPError as err:
            return PartnerAnswer(False, f"could not reach {post.url} ({err.__class__.__name__})", retry=True)
        if response.is_success:
            return PartnerAnswer(True, post.accepted(response))
        if response.status_code == 429 or response.status_code >= 500:
            return PartnerAnswer(False, f"{name} answered {response.status_code}", retry=True)
        return PartnerAnswer(False, shown(f"{name} answered {response.status_code}: {said(response)}"))

    def check(self, pager: PagerSettings) -> str | None:
        """A one-line problem, or None. PagerDuty's Events API has nothing to ask without paging someone, so a
        PagerDuty pager is not checked at all (None): the caller says so."""
        if pager.kind == "pagerduty":
            return None
        name = NAMES[pager.kind]
        seconds = pager.timeout.total_seconds()
        url = f"{pager.url}/api/v2/status" if pager.kind == "alertmanager" else pager.url
        try:
            # A webhook's receiver may take only POST: any answer at all shows it is there.
            method = "GET" if pager.kind == "alertmanager" else "HEAD"
            response = self.client.request(method, url, timeout=seconds)
        except httpx.TimeoutException:
            return f"{name} did not answer within {seconds:g} s"
        except httpx.HTTPError as err:
            return f"could not reach {url} ({err.__class__.__name__})"
        if pager.kind == "alertmanager" and not response.is_success:
            return shown(f"Alertmanager answered {response.status_code} at {url}: {said(response)}")
        return None


def pagerduty(pager: PagerSettings, request: PageRequest, now: datetime) -> Post:
    """Events API v2: an alert event (trigger, resolve) to /v2/enqueue, or a change event to /v2/change/enqueue.
    A resolve needs only the routing key and the dedup key; the payload is read on a trigger alone."""
    links = [{"href": request.link, "text": "War room"}] if request.link else []
    if request.action == "change":
        event: dict[str, Any] = {"routing_key": pager.secret, "payload": {
            "summary": shown(request.summary, SUMMARY_LIMIT), "timestamp": rfc3339(request.at), "source": SOURCE,
            "custom_details": custom_details(request)}}
        if links:
            event["links"] = links
        return Post(f"{pager.url}/v2/change/enqueue", _json(event), {"content-type": "application/json"},
                    lambda response: "PagerDuty recorded the change")
    event = {"routing_key": pager.secret, "event_action": request.action, "dedup_key": request.dedup_key}
    if request.action == "trigger":
        event["payload"] = {
            "summary": shown(request.summary, SUMMARY_LIMIT), "source": SOURCE,
            "severity": PAGERDUTY_SEVERITY[request.severity], "timestamp": rfc3339(request.at),
            "class": request.class_id, "custom_details": custom_details(request)}
        event["client"] = "Firehouse"
        if links:
            event |= {"client_url": request.link, "links": links}

    def accepted(response: httpx.Response) -> str:
        key = _field(response, "dedup_key") or request.dedup_key
        return f"PagerDuty accepted (dedup key {key})"

    return Post(f"{pager.url}/v2/enqueue", _json(event), {"content-type": "application/json"}, accepted)


def custom_details(request: PageRequest) -> dict[str, Any]:
    """What PagerDuty shows under the alert; the request's own details first, so ours cannot be overwritten."""
    details = {**request.details, "incident": request.incident_id, "severity": request.severity,
               "class": request.class_id, "captain": request.captain, "war_room": request.link,
               "drill": request.drill}
    if request.message:
        details["message"] = request.message
    return details


def alertmanager(pager: PagerSettings, request: PageRequest, now: datetime) -> Post:
    """One alert that fires until `endsAt`: a trigger holds it for ALERTMANAGER_HOLD past the request (re-sent
    every minute while open), a resolve ends it at the request's moment. Its labels are what an organisation's
    routes match on; the same labels every time make it one alert, however often it is sent."""
    labels = {"alertname": "FirehouseIncident", "severity": request.severity, "class": request.class_id,
              "incident": str(request.incident_id), "pager": pager.name}
    if request.drill:
        labels["drill"] = "true"  # so a route can keep practice away from people
    annotations = {"summary": request.summary}
    if request.link:
        annotations["war_room"] = request.link
    if request.message:
        annotations["message"] = request.message
    ends = request.at if request.action == "resolve" else request.at + ALERTMANAGER_HOLD  # a trigger, or its renewal
    alert: dict[str, Any] = {"labels": labels, "annotations": annotations, "startsAt": rfc3339(request.started_at),
                             "endsAt": rfc3339(ends)}
    if request.link:
        alert["generatorURL"] = request.link
    verb = "ended the alert" if request.action == "resolve" else "took the alert"
    return Post(f"{pager.url}/api/v2/alerts", _json([alert]), {"content-type": "application/json"},
                lambda response: f"Alertmanager {verb}")


def webhook(pager: PagerSettings, request: PageRequest, now: datetime) -> Post:
    """A signed POST, as the firebreaks' webhook executor sends. The webhook id is the page's dedup key, the action
    and the request's moment in milliseconds: a retry of one request (kept as it was made) has the same id, so a
    receiver can drop it, while a trigger after reopening, made later, is a new message."""
    body = _json({
        "type": f"page.{request.action}",
        "page": {"pager": pager.name, "dedup_key": request.dedup_key},
        "incident": {"id": request.incident_id, "title": request.title, "severity": request.severity,
                     "class": request.class_id, "captain": request.captain, "war_room": request.link},
        "message": request.message,
        "drill": request.drill,
        "at": rfc3339(request.at),
        "details": request.details,
    })
    headers = {"content-type": "application/json",
               **signed_headers(pager.secret, msg_id=webhook_id(request), body=body, at=now)}
    return Post(pager.url, body, headers, lambda response: f"the webhook accepted ({response.status_code})")


def webhook_id(request: PageRequest) -> str:
    return f"{request.dedup_key}:{request.action}:{int(request.at.timestamp() * 1000)}"


BUILDERS: dict[str, Callable[[PagerSettings, PageRequest, datetime], Post]] = {
    "pagerduty": pagerduty, "alertmanager": alertmanager, "webhook": webhook}


def said(response: httpx.Response) -> str:
    """The partner's own words: PagerDuty's `message` and `errors`, a JSON error's message, or the text."""
    try:
        answer = response.json()
    except ValueError:
        return response.text or response.reason_phrase
    if isinstance(answer, dict):
        message = str(answer.get("message") or answer.get("status") or "")
        errors = answer.get("errors")
        if isinstance(errors, list) and errors:
            listed = "; ".join(str(error) for error in errors)
            return f"{message} ({listed})" if message else listed
        return message or response.text
    return answer if isinstance(answer, str) else response.text


def _field(response: httpx.Response, key: str) -> str | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer.get(key) if isinstance(answer, dict) else None


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("ascii")
