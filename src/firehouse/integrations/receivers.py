"""The `[[events]]` receivers: every change as a CloudEvents 1.0 JSON body (structured mode), signed per Standard
Webhooks with `webhook-id` equal to the event's id, so a receiver deduplicates a retry or a replay by that id.

A private incident's texts are redacted unless the subscription says `private = true`; a drill's events carry the
extension attribute `drill: true`. Nothing here raises for a receiver's failure: every answer but a 2xx is worth
trying again (the outbox backs off for a day), and the text says in one line what happened.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from firehouse.config.paging import Subscription
from firehouse.domain.notifications import Published, redacted
from firehouse.integrations.http import Pooled, rfc3339, shown, signed_headers
from firehouse.usecases.ports import PartnerAnswer

CONTENT_TYPE = "application/cloudevents+json"  # CloudEvents' structured mode: the whole event is the body


class HttpReceivers(Pooled):
    """Delivers notifications to subscriptions over one pooled HTTP client: a thousand events to the same
    receiver reuse its connections, and no delivery pays for a new client's TLS context."""

    def send(self, subscription: Subscription, published: Published) -> PartnerAnswer:
        event = envelope(published, subscription)
        body = encoded(event)
        seconds = subscription.timeout.total_seconds()
        headers = {"content-type": CONTENT_TYPE, **signed_headers(subscription.secret, msg_id=event["id"], body=body,
                                                                  at=datetime.now(UTC))}
        try:
            response = self.client.post(subscription.url, content=body, headers=headers, timeout=seconds)
        except httpx.TimeoutException:
            return PartnerAnswer(False, f"{subscription.name} did not answer within {seconds:g} s", retry=True)
        except httpx.HTTPError as err:
            return PartnerAnswer(False, f"could not reach {subscription.url} ({err.__class__.__name__})", retry=True)
        if response.is_success:
            return PartnerAnswer(True, f"{subscription.name} accepted ({response.status_code})")
        # A 4xx is retried too: a receiver being redeployed or misconfigured for a while must not lose events,
        # and a retry is harmless because the receiver drops an id it has seen.
        return PartnerAnswer(False, shown(f"{subscription.name} answered {response.status_code} {response.text}"),
                             retry=True)


def envelope(published: Published, subscription: Subscription) -> dict[str, Any]:
    """The CloudEvent `published` is sent as to `subscription`; `firehouse events replay` sends the same."""
    incident = published.data.get("incident") or {}
    private = bool(incident.get("private")) and not subscription.private
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": published.id,
        "source": f"/firehouse/incidents/{published.incident_id}",
        "type": published.type,
        "time": rfc3339(published.at),
        "subject": f"incident/{published.incident_id}",
        "datacontenttype": "application/json",
    }
    if published.drill:
        event["drill"] = True  # an extension attribute, so a receiver can drop practice without reading data
    event["data"] = redacted(published.data) if private else published.data
    return event


def encoded(event: dict[str, Any]) -> bytes:
    """The body as sent and signed: compact, ASCII-only JSON, so its bytes do not depend on an encoder's choice."""
    return json.dumps(event, separators=(",", ":")).encode("ascii")
