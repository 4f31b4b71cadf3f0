"""Watching: which signals a war room watches and why, those it watches by itself (its class, a pulled firebreak,
an alert's name), and the signal an alert brings in its Prometheus graph link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from firehouse.domain.events import TimelineEntry
from firehouse.domain.signals import Signal


class Origin(StrEnum):
    """Why a war room watches a signal."""

    COMMAND = "command"  # someone typed `/incident watch <signal>` or pressed Watch
    CLASS = "class"  # the incident's class is in the signal's `watch.classes`
    FIREBREAK = "firebreak"  # a firebreak in `watch.firebreaks` was pulled
    ALERT = "alert"  # an alert named in `watch.alerts` arrived, or the alert's own expression
    DRILL = "drill"  # the drill's scenario scripts it


@dataclass
class Watch:
    """A war room watching a signal, from `started_at` until someone stops it."""

    incident_id: int
    signal: Signal
    origin: Origin
    started_by: str
    started_at: datetime
    stopped_by: str | None = None
    stopped_at: datetime | None = None
    settled_at: datetime | None = None  # when the captain was told it settled in monitoring
    settle_from: datetime | None = None  # when the incident last moved into monitoring: settling starts then
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.stopped_at is None

    def stop(self, *, by: str, at: datetime) -> SignalUnwatched:
        self.stopped_by, self.stopped_at = by, at
        return SignalUnwatched(at=at, by=by, name=self.signal.name, label=self.signal.label)

    def event(self) -> SignalWatched:
        return SignalWatched(at=self.started_at, by=self.started_by, name=self.signal.name, label=self.signal.label,
                             origin=self.origin)


def automatic(signals: Iterable[Signal], *, class_id: str | None = None, firebreak: str | None = None,
              alert: str | None = None) -> list[tuple[Signal, Origin]]:
    """The configured signals an incident of `class_id`, a pull of `firebreak` or an alert named `alert` brings."""
    found = []
    for signal in signals:
        if class_id and class_id in signal.watch.classes:
            found.append((signal, Origin.CLASS))
        elif firebreak and firebreak in signal.watch.firebreaks:
            found.append((signal, Origin.FIREBREAK))
        elif alert and alert in signal.watch.alerts:
            found.append((signal, Origin.ALERT))
    return found


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
_COMPARISON = re.compile(rf"^(?P<query>.+?)\s*(?P<op>>=|<=|>|<)\s*(?:bool\s+)?(?P<value>{_NUMBER})\s*$",
                         re.IGNORECASE | re.DOTALL)


def alert_signal(alertname: str, generator_url: str, sources: Mapping[str, Any]) -> Signal | None:
    """The signal an alert brings: the expression of its Prometheus graph link (`…/graph?g0.expr=<PromQL>`),
    read from the metric source whose URL the link starts with, else the default one. A trailing comparison
    with a number (`… > 0.05`) becomes the threshold, so the watched line is the value the alert compared."""
    parsed = urlsplit(generator_url or "")
    expression = (parse_qs(parsed.query).get("g0.expr") or [""])[0].strip()
    if not expression or not parsed.path.rstrip("/").endswith("/graph"):
        return None
    origin = f"{parsed.scheme}://{parsed.netloc}{parsed.path.rstrip('/').removesuffix('/graph')}".rstrip("/")
    source = next((name for name, s in sources.items() if _same_server(s.url, origin)),
                  None) or next((name for name, s in sources.items() if s.default), None)
    if source is None:
        return None
    name = "alert-" + (re.sub(r"[^a-z0-9]+", "-", alertname.lower()).strip("-")[:33] or "signal")
    compared = _COMPARISON.match(expression)
    if compared and _balanced(compared["query"]):
        worse = "higher" if compared["op"].startswith(">") else "lower"
        return Signal(name=name, query=compared["query"].strip(), label=alertname[:60], source=source, worse=worse,
                      threshold=float(compared["value"]))
    return Signal(name=name, query=expression, label=alertname[:60], source=source, baseline=timedelta(days=7))


def _same_server(url: str, origin: str) -> bool:
    """Whether a source at `url` and a link at `origin` are one server: equal, or one a path under the other
    (`http://prom` is not `http://prometheus-eu`)."""
    url = url.rstrip("/")
    return origin == url or origin.startswith(url + "/") or url.startswith(origin + "/")


def _balanced(query: str) -> bool:
    """Whether the parentheses of `query` close: the comparison found is the expression's own, at the top."""
    depth = 0
    for char in query:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@dataclass(frozen=True)
class SignalWatched:
    at: datetime
    by: str
    name: str
    label: str
    origin: Origin

    def timeline_entry(self) -> TimelineEntry:
        why = {Origin.COMMAND: "", Origin.CLASS: " (its class is watched)", Origin.FIREBREAK: " (a firebreak it"
               " verifies was pulled)", Origin.ALERT: " (the alert's own signal)", Origin.DRILL: " (the drill's"
               " scripted signal)"}[self.origin]
        return TimelineEntry(self.at, self.by, "signals", f"Watching {self.label} (`{self.name}`){why}")


@dataclass(frozen=True)
class SignalUnwatched:
    at: datetime
    by: str
    name: str
    label: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "signals", f"Stopped watching {self.label} (`{self.name}`)")
