"""What templates see: the incident and its facts as plain, already-escaped values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firehouse.comms.mrkdwn import escape as slack_escape
from firehouse.comms.templates import Facts
from firehouse.domain.classes import Catalog
from firehouse.domain.firebreaks import KINDS, Firebreak, State
from firehouse.domain.model import Incident
from firehouse.domain.times import hhmm, stamp


def when(moment: datetime | None) -> str | None:
    """A moment as templates show it; None stays None, so templates can test for it."""
    return stamp(moment) if moment else None


def clock(moment: datetime | None) -> str | None:
    return hhmm(moment) if moment else None


@dataclass(frozen=True)
class UpdateView:
    """A status update as the stakeholder template sees it."""

    text: str
    author: str
    posted_at: str


@dataclass(frozen=True)
class FirebreakView:
    """A firebreak as templates see it: what was done to what, since when, and whether it still holds."""

    kind: str
    target: str
    what: str  # the kind in plain words: "turn the feature off"
    since: str | None
    lifted_at: str | None
    in_force: bool


def firebreak_views(firebreaks: Iterable[Firebreak], *, for_slack: bool) -> list[FirebreakView]:
    """The firebreaks that took effect (in force or lifted since), oldest first."""
    escape = escaper(for_slack=for_slack)
    return [FirebreakView(f.kind, escape(f.target), KINDS[f.kind], when(f.executed_at), when(f.lifted_at),
                          f.state is State.EXECUTED)
            for f in firebreaks if f.executed_at is not None]


@dataclass(frozen=True)
class IncidentView:
    """The incident as templates see it."""

    id: int
    title: str
    severity: str
    class_id: str
    class_description: str
    status: str
    captain: str
    declared_at: str
    detected_at: str | None
    aware_at: str | None
    contained_at: str | None
    resolved_at: str | None
    summary: str
    drill: bool = False  # a practice incident: a template may say so


def escaper(*, for_slack: bool) -> Callable[[str], str]:
    """Slack needs `&`, `<` and `>` escaped so text can't ping or link; plain Markdown is left alone."""
    return slack_escape if for_slack else str


def template_context(
    incident: Incident,
    *,
    catalog: Catalog,
    facts: Mapping[str, str],
    now: datetime,
    for_slack: bool,
    next_update_at: datetime | None = None,
    discreet: bool = False,
    firebreaks: Sequence[FirebreakView] = (),
    **extra: Any,
) -> dict[str, Any]:
    """The variables every template gets, plus `extra` ones (regime, decision, update, …).

    `discreet` names a private incident only by its number, for readers outside its war room.
    """
    escape = escaper(for_slack=for_slack)
    incident_class = catalog.classes.get(incident.class_id)
    view = IncidentView(
        id=incident.id or 0,
        title="private incident" if discreet else escape(incident.title),
        severity=incident.severity.label,
        class_id=incident.class_id,
        class_description=escape(incident_class.description if incident_class else incident.class_id),
        status=incident.status.value,
        captain=f"<@{incident.captain}>" if for_slack else f"@{incident.captain}",
        declared_at=when(incident.declared_at),
        detected_at=when(incident.detected_at),
        aware_at=when(incident.aware_at),
        contained_at=when(incident.contained_at),
        resolved_at=when(incident.resolved_at),
        summary="" if discreet else escape(incident.summary),
        drill=incident.drill,
    )
    return {"incident": view, "facts": Facts(facts, escape), "now": when(now),
            "next_update_at": clock(next_update_at), "firebreaks": list(firebreaks), **extra}
