"""Statuspage's public Status API (v2), in Atlassian's shapes, so the tools that read Atlassian's pages read
this one too (status widgets, exporters, chat integrations).

Every field Atlassian's objects have is present; where Firehouse has nothing to say it is null (or false, or
an empty list, as Atlassian writes it for a page that does not use the feature). Ids Atlassian would make up
are derived, so they stay the same from one build of the page to the next: a component's from its key, an
incident's is the public id it already has, an update's its own.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from firehouse.domain.statuspage import INDICATOR_WORDS, OPERATIONAL, Component, PublicIncident, PublicPage

TIME_ZONE = "Etc/UTC"  # every time Firehouse publishes is UTC, and says so


def summary(page: PublicPage) -> dict[str, Any]:
    """/api/v2/summary.json: the page, its components, the unresolved incidents, maintenances (none), status."""
    return {"page": _page(page), "components": _components(page),
            "incidents": [_incident(page, i) for i in page.unresolved], "scheduled_maintenances": [],
            "status": status_of(page)}


def status(page: PublicPage) -> dict[str, Any]:
    """/api/v2/status.json."""
    return {"page": _page(page), "status": status_of(page)}


def components(page: PublicPage) -> dict[str, Any]:
    """/api/v2/components.json."""
    return {"page": _page(page), "components": _components(page)}


def incidents(page: PublicPage) -> dict[str, Any]:
    """/api/v2/incidents.json: every incident the page holds (open, and resolved within its window)."""
    return {"page": _page(page), "incidents": [_incident(page, i) for i in page.incidents]}


def unresolved(page: PublicPage) -> dict[str, Any]:
    """/api/v2/incidents/unresolved.json."""
    return {"page": _page(page), "incidents": [_incident(page, i) for i in page.unresolved]}


def status_of(page: PublicPage) -> dict[str, str]:
    return {"indicator": page.indicator, "description": INDICATOR_WORDS[page.indicator]}


def component_id(key: str) -> str:
    """A component's id: 12 hex digits of the SHA-256 of its key (Atlassian's ids are 12 characters too)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def timestamp(at: datetime | None) -> str | None:
    """A time as Atlassian writes it for a page in UTC: ISO 8601 in milliseconds, `Z` for the offset."""
    if at is None:
        return None
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _page(page: PublicPage) -> dict[str, Any]:
    return {"id": page.id, "name": page.name, "url": page.url, "time_zone": TIME_ZONE,
            "updated_at": timestamp(page.updated_at)}


def _components(page: PublicPage) -> list[dict[str, Any]]:
    return [_component(page, component, position)
            for position, component in enumerate(page.components, start=1)]


def _component(page: PublicPage, component: Component, position: int) -> dict[str, Any]:
    return {"id": component_id(component.key), "name": component.name, "status": component.state,
            "created_at": None,  # Firehouse does not know when a component was first configured
            "updated_at": timestamp(component.updated_at), "position": position, "description": None,
            "showcase": True, "start_date": None, "group_id": None, "page_id": page.id, "group": False,
            "only_show_if_degraded": False}


def _incident(page: PublicPage, incident: PublicIncident) -> dict[str, Any]:
    found = [(n, c) for n, c in enumerate(page.components, start=1) if c.key == incident.class_id]
    affected = [_component(page, c, n) for n, c in found]
    return {"id": incident.id, "name": incident.name, "status": str(incident.status),
            "created_at": timestamp(incident.created_at), "updated_at": timestamp(incident.updated_at),
            "monitoring_at": timestamp(incident.monitoring_at), "resolved_at": timestamp(incident.resolved_at),
            "impact": incident.impact, "shortlink": f"{page.url}#{incident.id}",
            "started_at": timestamp(incident.created_at), "page_id": page.id,
            "incident_updates": _updates(incident, found[0][1] if found else None),
            "components": affected, "reminder_intervals": None}


def _updates(incident: PublicIncident, component: Component | None) -> list[dict[str, Any]]:
    """The incident's updates, newest first; each names the component's state before and after it."""
    oldest_first = list(reversed(incident.updates))
    before = [OPERATIONAL] + [u.component_state for u in oldest_first[:-1]]
    shown = []
    for update, old in zip(oldest_first, before):
        affected = None if component is None else [
            {"code": component_id(component.key), "name": component.name, "old_status": old,
             "new_status": update.component_state}]
        shown.append({"id": update.id, "status": str(update.status), "body": update.body,
                      "incident_id": incident.id, "created_at": timestamp(update.at),
                      "updated_at": timestamp(update.at), "display_at": timestamp(update.at),
                      "affected_components": affected, "deliver_notifications": True,
                      "custom_tweet": None, "tweet_id": None})
    return list(reversed(shown))
