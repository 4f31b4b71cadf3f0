"""Which changes other systems hear of, as CloudEvents types, and what each says.

Pure: `notification(event, incident)` is the event's type and data, or None for a change nobody subscribes
to (a log line, a fact). The envelope, the id and the signature are added where it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firehouse.domain.afteraction import ActionAdded, ActionChanged, Closed, FixtureAdded, PostmortemPublished
from firehouse.domain.drills import DrillEnded, DrillStarted
from firehouse.domain.events import (
    CaptainConfirmed,
    CaptainHandedOver,
    ClassChanged,
    IncidentDeclared,
    SeverityChanged,
    StatusChanged,
)
from firehouse.domain.firebreaks import FirebreakExecuted, FirebreakFailed, FirebreakLifted
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import NoticeEvent
from firehouse.domain.snapshots import SnapshotTaken
from firehouse.domain.statuspage import StatusPublished

EVENT_TYPES = (
    "incident.declared", "incident.severity_changed", "incident.class_changed", "incident.status_changed",
    "incident.captain_changed", "incident.resolved", "incident.reopened", "incident.closed",
    "firebreak.pulled", "firebreak.lifted", "firebreak.failed", "snapshot.frozen", "notice.approved", "notice.sent",
    "notice.published", "postmortem.published", "action.created", "action.done", "fixture.saved", "drill.started", "drill.ended",
)
# What a private incident's event leaves out for a subscription not allowed its details: the texts people wrote.
PRIVATE_KEYS = frozenset({"title", "summary", "reason", "note", "text", "answer", "waiver", "notice_title"})
REDACTED = "[private]"


@dataclass(frozen=True)
class Notification:
    type: str
    data: dict[str, Any]


def notification(event: object, incident: Incident) -> Notification | None:
    """What `event` tells subscribers about `incident`, or None."""
    found = _what(event)
    if found is None:
        return None
    kind, details = found
    return Notification(kind, {"incident": _incident(incident), "by": getattr(event, "by", ""),
                               "at": event.at.isoformat(), **details})  # type: ignore[attr-defined]


def redacted(data: Any) -> Any:
    """`data` without the texts a private incident keeps to itself."""
    if isinstance(data, dict):
        return {key: REDACTED if key in PRIVATE_KEYS and value else redacted(value) for key, value in data.items()}
    if isinstance(data, list):
        return [redacted(item) for item in data]
    return data


def _incident(incident: Incident) -> dict[str, Any]:
    return {"id": incident.id, "title": incident.title, "severity": incident.severity.label.lower(),
            "class": incident.class_id, "status": str(incident.status), "captain": incident.captain,
            "war_room": incident.channel_id, "private": incident.private, "drill": incident.drill}


def _what(event: object) -> tuple[str, dict[str, Any]] | None:  # noqa: C901 - one case per event type
    match event:
        case IncidentDeclared():
            return "incident.declared", {"severity": event.severity.label.lower(), "class": event.class_id,
                                         "captain": event.captain}
        case SeverityChanged():
            return "incident.severity_changed", {"previous": event.previous.label.lower(),
                                                 "severity": event.severity.label.lower(), "reason": event.reason}
        case ClassChanged():
            return "incident.class_changed", {"previous": event.previous, "class": event.class_id}
        case StatusChanged() if event.reopened:
            return "incident.reopened", {"previous": str(event.previous), "status": str(event.status)}
        case StatusChanged() if event.status is Status.RESOLVED:
            return "incident.resolved", {"previous": str(event.previous), "summary": event.summary,
                                         "waiver": event.waiver}
        case StatusChanged():
            return "incident.status_changed", {"previous": str(event.previous), "status": str(event.status)}
        case CaptainHandedOver():
            return "incident.captain_changed", {"previous": event.previous, "captain": event.captain}
        case CaptainConfirmed():
            return "incident.captain_changed", {"previous": None, "captain": event.captain}
        case Closed():
            return "incident.closed", {"waiver": event.waiver}
        case FirebreakExecuted():
            return "firebreak.pulled", {"firebreak": event.label, "answer": event.answer}
        case FirebreakLifted():
            return "firebreak.lifted", {"firebreak": event.label, "answer": event.answer, "note": event.note}
        case FirebreakFailed():
            return "firebreak.failed", {"firebreak": event.label, "answer": event.answer}
        case SnapshotTaken():
            return "snapshot.frozen", {"snapshot": event.snapshot_id, "keys": list(event.keys),
                                       "fingerprint": event.fingerprint, "supersedes": event.supersedes}
        case NoticeEvent() if event.what in ("approved", "marked sent"):
            return f"notice.{event.what.removeprefix('marked ')}", {"notice": event.notice_id, "lane": event.lane,
                                                                    "notice_title": event.title}
        case StatusPublished() if event.what == "published":
            return "notice.published", {"notice": event.notice_id, "lane": "product", "status": event.status.value,
                                        "public_title": event.title, "link": event.link}
        case PostmortemPublished():
            return "postmortem.published", {"version": event.version, "fingerprint": event.fingerprint}
        case ActionAdded():
            return "action.created", {"text": event.text, "kind": event.kind, "owner": event.owner,
                                      "due": event.due.isoformat() if event.due else None}
        case ActionChanged() if event.change == "done":
            return "action.done", {"action": event.action_id}
        case FixtureAdded():
            return "fixture.saved", {"fixture": event.fixture_id, "forbidden": event.forbidden,
                                     "tags": list(event.tags)}
        case DrillStarted():
            return "drill.started", {"scenario": event.scenario, "injects": event.injects}
        case DrillEnded():
            return "drill.ended", {"on_time": event.on_time, "milestones": event.milestones,
                                   "by_time_limit": event.by_time_limit}
    return None


@dataclass(frozen=True)
class Published:
    """A notification as it is kept and sent: its CloudEvents id (a receiver deduplicates by it), its type, when
    it happened, its data, and whether it came from a drill. `seq` orders an incident's notifications."""

    id: str
    incident_id: int
    type: str
    at: datetime
    data: dict[str, Any]
    drill: bool = False
    seq: int | None = None
