"""Public status pages for the status page's tests: built here as the store would build them, never from Slack."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from firehouse.domain.statuspage import Component, PublicIncident, PublicPage, PublicStatus, PublicUpdate

NOW = datetime(2025, 5, 6, 14, 40, tzinfo=UTC)
URL = "https://status.acme.example"


def incident(public_id: str, name: str, *updates: tuple[PublicStatus, str, datetime, str], impact: str = "major",
             class_id: str = "answers") -> PublicIncident:
    """An incident from its updates, each (status, body, published at, component state), oldest first."""
    shown = tuple(PublicUpdate(id=f"{public_id}-{n}", status=status, body=body, at=at, component_state=state)
                  for n, (status, body, at, state) in reversed(list(enumerate(updates, start=1))))
    last = shown[0]
    monitoring = next((u.at for u in reversed(shown) if u.status is PublicStatus.MONITORING), None)
    return PublicIncident(id=public_id, name=name, status=last.status, impact=impact, class_id=class_id,
                          component_state=last.component_state, created_at=shown[-1].at, updated_at=last.at,
                          updates=shown, monitoring_at=monitoring,
                          resolved_at=last.at if last.status is PublicStatus.RESOLVED else None)


def page(*incidents: PublicIncident, name: str = "Acme status", built_at: datetime = NOW,
         components: tuple[tuple[str, str], ...] = (("answers", "Assistant answers"), ("data", "Customer data")),
         ) -> PublicPage:
    """A page of `incidents` (newest first), each component in the worst state of its class's open incidents."""
    order = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")
    shown = []
    for key, public_name in components:
        mine = [i for i in incidents if i.class_id == key]
        state = max((i.component_state for i in mine if i.open), key=order.index, default="operational")
        shown.append(Component(key=key, name=public_name, state=state,
                               updated_at=max((i.updated_at for i in mine), default=None)))
    updated = max((i.updated_at for i in incidents), default=built_at)
    return PublicPage(name=name, url=URL, components=tuple(shown), incidents=incidents, updated_at=updated,
                      built_at=built_at, id="acme")


def slow_answers(*, resolved: bool = False) -> PublicIncident:
    """The open incident of the README's page: two updates (three once resolved)."""
    updates = [
        (PublicStatus.INVESTIGATING, "Some answers from the assistant are **slower than usual** or time out. "
         "We are investigating.", NOW - timedelta(minutes=38), "degraded_performance"),
        (PublicStatus.IDENTIFIED, "## What we found\nA model update raised response times for long "
         "conversations.\n\n- We have rolled the update back.\n- Answers already given are not affected.",
         NOW - timedelta(minutes=12), "partial_outage")]
    if resolved:
        updates.append((PublicStatus.RESOLVED, "Response times are back to normal. We are sorry for the "
                        "trouble.", NOW - timedelta(minutes=2), "operational"))
    return incident("k2v7qj4d1xzs", "Slow or failing assistant answers", *updates)


def wrong_citations() -> PublicIncident:
    """The resolved incident of the README's page, from last week."""
    start = NOW - timedelta(days=6, hours=3)
    return incident("p9w3mt5c8hbn", "Some answers cited the wrong source document",
                    (PublicStatus.IDENTIFIED, "A retrieval change matched some questions to the wrong document. "
                     "We have paused it.", start, "degraded_performance"),
                    (PublicStatus.RESOLVED, "The change is reverted and affected answers are corrected.",
                     start + timedelta(hours=2, minutes=15), "operational"),
                    impact="minor", class_id="data")


def acme(*, resolved: bool = False) -> PublicPage:
    """The README's page: "Acme status", one open incident with two updates, one resolved last week."""
    return page(slow_answers(resolved=resolved), wrong_citations())


def rebuilt(page_: PublicPage, *, at: datetime) -> PublicPage:
    """The same page, built again at `at`."""
    return replace(page_, built_at=at)
