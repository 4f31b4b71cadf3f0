"""Alerts from monitoring (Prometheus Alertmanager, Grafana): what a delivered group says, how label rules
triage it, whether storm control lets it open a war room, and the timeline entries it leaves.

Pure: the moment is a parameter, and every text a system sent stays data (the edges escape it for Slack).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from firehouse.domain.events import FIREHOUSE, TimelineEntry
from firehouse.domain.model import MAX_TEXT, MAX_TITLE
from firehouse.domain.severity import Severity
from firehouse.domain.times import span, stamp

FIRING, RESOLVED = "firing", "resolved"
SOURCES = {"alertmanager": "Alertmanager", "grafana": "Grafana"}  # where a delivery came from, as people read it
KIND = "alert"  # the timeline kind of what an alert leaves (the postmortem names it the detection signal)
MAX_VALUE = 300  # characters of one label or annotation value on the timeline
MAX_DETAILED = 10  # alerts of one delivery whose labels, annotations and link go on the timeline


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Alert:
    """One alert of a group, as its source sent it."""

    status: str  # firing or resolved
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    fingerprint: str
    ends_at: datetime | None = None
    generator_url: str = ""

    @property
    def firing(self) -> bool:
        return self.status == FIRING

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or f"alert {self.fingerprint}"

    @property
    def summary(self) -> str:
        return self.annotations.get("summary", "").strip()

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "labels": dict(self.labels), "annotations": dict(self.annotations),
                "starts_at": self.starts_at.isoformat(), "fingerprint": self.fingerprint,
                "ends_at": self.ends_at.isoformat() if self.ends_at else None, "generator_url": self.generator_url}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        return cls(status=data["status"], labels=dict(data["labels"]), annotations=dict(data["annotations"]),
                   starts_at=datetime.fromisoformat(data["starts_at"]), fingerprint=data["fingerprint"],
                   ends_at=datetime.fromisoformat(data["ends_at"]) if data.get("ends_at") else None,
                   generator_url=data.get("generator_url", ""))


@dataclass(frozen=True)
class AlertGroup:
    """One webhook delivery: a group of alerts its source keeps together under `group_key`."""

    source: str  # alertmanager or grafana
    status: str
    group_key: str
    alerts: tuple[Alert, ...]

    @property
    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.firing)

    @property
    def group_digest(self) -> str:
        """The group key's SHA-256 (keys can be long): how a repeat of the group is found. Empty without one."""
        return hashlib.sha256(self.group_key.encode()).hexdigest() if self.group_key else ""

    @property
    def keys(self) -> frozenset[tuple[str, str, str]]:
        """What ties deliveries together (and to an incident): the group key's digest and each fingerprint."""
        group = {("group", self.source, self.group_digest)} if self.group_digest else set()
        return frozenset(group | {("alert", self.source, a.fingerprint) for a in self.alerts})

    @property
    def title(self) -> str:
        """The first firing alert's `summary`, else its alertname, within the title's limit."""
        first = (self.firing or self.alerts)[0]
        title = " ".join((first.summary or first.name).split())
        more = len(self.firing) - 1
        suffix = f" (+{more} more)" if more > 0 else ""
        return _cut(title, MAX_TITLE - len(suffix)) + suffix

    def detected_at(self, now: datetime) -> datetime:
        """When the first signal came in: the earliest firing alert's start, never after `now`."""
        starts = [a.starts_at for a in self.firing] or [now]
        return min(min(starts), now)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "status": self.status, "group_key": self.group_key,
                "alerts": [a.to_dict() for a in self.alerts]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertGroup:
        return cls(source=data["source"], status=data["status"], group_key=data["group_key"],
                   alerts=tuple(Alert.from_dict(a) for a in data["alerts"]))


# --- triage: which class, severity and captain an investigation gets ---------------------------------------


@dataclass(frozen=True)
class Rule:
    """`match` labels (every one must be equal) set the class, severity and captain; unset ones keep the defaults."""

    match: Mapping[str, str]
    class_id: str | None = None
    severity: Severity | None = None
    captain: str | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(name) == value for name, value in self.match.items())


@dataclass(frozen=True)
class Triage:
    """What a new investigation is opened with, and the rule that said so (1-based; None: the defaults). No
    `class_id`: the catalogue's default class, and the incident counts as not classified yet."""

    class_id: str | None
    severity: Severity
    captain: str
    rule: int | None = None


def triage(alerts: Sequence[Alert], rules: Sequence[Rule], *, class_id: str | None, severity: Severity,
           captain: str) -> Triage:
    """The first rule that matches any of `alerts`' labels wins; the defaults fill what it leaves unset."""
    for number, rule in enumerate(rules, start=1):
        if any(rule.matches(alert.labels) for alert in alerts):
            return Triage(rule.class_id or class_id, rule.severity or severity, rule.captain or captain, number)
    return Triage(class_id, severity, captain)


# --- storm control ----------------------------------------------------------------------------------------


class Placement(StrEnum):
    """Where a new alert group goes."""

    OPEN = "open"  # a war room of its own
    STORM_OPEN = "storm-open"  # the storm began: open the storm's war room
    STORM_JOIN = "storm-join"  # join the open storm's war room


def place(*, opened_in_window: int, limit: int, storm_open: bool) -> Placement:
    """At most `limit` war rooms opened by alerts within the window; past that, new groups share one storm room."""
    if opened_in_window < limit:
        return Placement.OPEN
    return Placement.STORM_JOIN if storm_open else Placement.STORM_OPEN


def storm_title(*, limit: int, window: timedelta) -> str:
    return f"Alert storm: more than {limit} alert groups within {span(window)}"


# --- what a delivery changes in an incident it attaches to --------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """Against the alerts an incident knows (fingerprint → status): new ones, ones firing again, resolved ones."""

    new: tuple[Alert, ...] = ()
    again: tuple[Alert, ...] = ()
    resolved: tuple[Alert, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.new or self.again or self.resolved)


def changes(group: AlertGroup, known: Mapping[str, str]) -> Changes:
    """A repeat of what the incident already knows changes nothing; a resolve is news once."""
    new = tuple(a for a in group.firing if a.fingerprint not in known)
    again = tuple(a for a in group.firing if known.get(a.fingerprint) == RESOLVED)
    resolved = tuple(a for a in group.alerts if not a.firing and known.get(a.fingerprint) != RESOLVED)
    return Changes(new, again, resolved)


# --- the timeline -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertNoted:
    """A line an alert leaves on the timeline (kind "alert", written by Firehouse)."""

    at: datetime
    text: str
    by: str = FIREHOUSE

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, KIND, _cut(self.text, MAX_TEXT))


def _pairs(values: Mapping[str, str], separator: str) -> str:
    return separator.join(f"{name}={_cut(' '.join(value.split()), MAX_VALUE)}"
                          for name, value in sorted(values.items()))


def fired(alert: Alert, *, source: str, at: datetime, again: bool = False) -> list[AlertNoted]:
    """The alert firing, then its labels, its annotations and the link to what generated it."""
    state = "firing again" if again else "firing"
    headline = f"{SOURCES[source]}: {alert.name} {state} since {stamp(alert.starts_at)}"
    noted = [AlertNoted(at, f"{headline}: {alert.summary}" if alert.summary else headline),
             AlertNoted(at, f"Labels: {_pairs(alert.labels, ', ')}")]
    if alert.annotations:
        noted.append(AlertNoted(at, f"Annotations: {_pairs(alert.annotations, '; ')}"))
    if alert.generator_url:
        noted.append(AlertNoted(at, f"Generator link: {alert.generator_url}"))
    return noted


def resolved(alert: Alert, *, source: str, at: datetime) -> AlertNoted:
    when = f" at {stamp(alert.ends_at)}" if alert.ends_at else ""
    return AlertNoted(at, f"{SOURCES[source]}: {alert.name} resolved{when}. The incident stays open until a"
                          " person resolves it.")


def noted(group: AlertGroup, found: Changes, *, at: datetime) -> list[AlertNoted]:
    """The timeline entries of `found`: each alert in full up to MAX_DETAILED, the rest a line each."""
    entries: list[AlertNoted] = []
    firing = [(a, False) for a in found.new] + [(a, True) for a in found.again]
    for alert, again in firing[:MAX_DETAILED]:
        entries += fired(alert, source=group.source, at=at, again=again)
    for alert, again in firing[MAX_DETAILED:]:
        entries.append(fired(alert, source=group.source, at=at, again=again)[0])
    entries += [resolved(alert, source=group.source, at=at) for alert in found.resolved]
    return entries


def storm_joined(group: AlertGroup, *, at: datetime) -> AlertNoted:
    return AlertNoted(at, f"{SOURCES[group.source]}: alert group {_cut(group.group_key or group.title, MAX_VALUE)}"
                          f" joined the storm ({len(group.firing)} firing)")


@dataclass(frozen=True)
class Delivery:
    """A stored delivery waiting to be processed: what came, when, how often processing was tried, and when it
    may be tried again (None: now)."""

    id: int
    received_at: datetime
    group: AlertGroup
    attempts: int = 0
    retry_at: datetime | None = None

    def due(self, now: datetime) -> bool:
        return self.retry_at is None or self.retry_at <= now


class Line:
    """Deliveries that share a group key or a fingerprint are processed in the order received, so a resolve
    never overtakes its firing. Walk the waiting deliveries oldest first: one that has to wait (it failed, its
    retry is not due) is held, and so is every later one it shares a group or a fingerprint with, and every one
    those share one with; the other groups go on."""

    def __init__(self) -> None:
        self._held: set[tuple[str, str, str]] = set()

    def holds(self, delivery: Delivery) -> bool:
        """Whether an earlier delivery that is held shares its group or one of its fingerprints."""
        return not self._held.isdisjoint(delivery.group.keys)

    def hold(self, delivery: Delivery) -> None:
        """Hold back every later delivery that shares its group or one of its fingerprints."""
        self._held |= delivery.group.keys


RETRY_FIRST = timedelta(seconds=5)
RETRY_MOST = timedelta(minutes=5)


def retry_after(attempts: int) -> timedelta:
    """How long a delivery that failed `attempts` times waits before the next try: doubling, capped."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_MOST)
