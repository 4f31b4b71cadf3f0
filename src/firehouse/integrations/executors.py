"""The firebreak executors: an Unleash feature flag turned off (or on), or a signed webhook to your own
endpoint. Each answers what happened in words people can act on; none raises for a partner's failure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from firehouse.config.integrations import FirebreakSettings
from firehouse.integrations.http import shown, signed_headers
from firehouse.usecases.ports import ExecutorAnswer, FirebreakOrder


class HttpExecutors:
    """Runs each firebreak by its configured executor."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self.transport = transport  # a test seam, as httpx intends

    def run(self, settings: FirebreakSettings, order: FirebreakOrder) -> ExecutorAnswer:
        executor = unleash if settings.configured.executor == "unleash" else webhook
        try:
            with httpx.Client(timeout=settings.timeout.total_seconds(), transport=self.transport) as client:
                return executor(client, settings, order)
        except httpx.TimeoutException:
            return ExecutorAnswer(False, f"no answer from {settings.url} within {settings.timeout.total_seconds():g} s")
        except httpx.HTTPError as err:
            return ExecutorAnswer(False, f"could not reach {settings.url} ({err.__class__.__name__})")


def unleash(client: httpx.Client, settings: FirebreakSettings, order: FirebreakOrder) -> ExecutorAnswer:
    """Turn the flag off (a kill switch) or on (a fallback flag) in one environment; lifting does the other,
    through Unleash's admin API. Both are idempotent, so a retry is safe."""
    state = settings.action if order.action == "pull" else {"off": "on", "on": "off"}[settings.action]
    path = (f"/api/admin/projects/{quote(settings.project, safe='')}/features/{quote(settings.feature, safe='')}"
            f"/environments/{quote(settings.environment, safe='')}/{state}")
    response = client.post(settings.url.rstrip("/") + path, headers={"Authorization": settings.secret})
    flag = f"`{settings.feature}` {state} in {settings.environment}"
    if response.is_success:
        return ExecutorAnswer(True, f"Unleash turned {flag} (HTTP {response.status_code})")
    return ExecutorAnswer(False, f"Unleash refused to turn {flag}: HTTP {response.status_code} {shown(response.text)}")


def webhook(client: httpx.Client, settings: FirebreakSettings, order: FirebreakOrder) -> ExecutorAnswer:
    """POST the order, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`);
    a 2xx is success. The webhook id is the order's idempotency key, so a receiver can drop a retry."""
    body = json.dumps({
        "type": f"firebreak.{order.action}",
        "firebreak": {"id": order.firebreak_id, "name": order.name, "kind": order.kind, "target": order.target},
        "incident": {"id": order.incident_id, "title": order.incident_title, "severity": order.severity,
                     "class": order.class_id, "war_room": order.war_room},
        "by": order.by,
        "note": order.note,
    }, separators=(",", ":"))
    response = client.post(settings.url, content=body, headers={
        "content-type": "application/json",
        **signed_headers(settings.secret, msg_id=order.idempotency_key, body=body.encode(), at=datetime.now(UTC))})
    return ExecutorAnswer(response.is_success, f"HTTP {response.status_code} {shown(response.text)}".strip())
