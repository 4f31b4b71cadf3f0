"""Reading live signals: one range query per watched signal, shared by every use within SHARED_FOR (a board
tick, or a read made just before an update is due so that the update need not wait for it), and by every
incident that asks for the same range meanwhile.

A read covers from the hour before the incident's first signal (on the hour, so that the incidents of one
hour ask for the same range) up to now, on a grid of whole-second steps. A
drill's scripted signal is read from its scenario, never from a metric source. A failure comes back as
`Unreadable`, never raised: a post that carries the signal goes out regardless.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from firehouse.config.signals import MetricSourceSettings
from firehouse.domain.model import Incident
from firehouse.domain.scripted import SCRIPTED
from firehouse.domain.signals import (
    MAX_POINTS,
    Reading,
    Series,
    Signal,
    Unreadable,
    split_baseline,
    step_for,
    windowed_query,
)
from firehouse.errors import MetricFailure, QueryRefused
from firehouse.logs import ContextPool
from firehouse.usecases.pipeline import Context
from firehouse.usecases.ports import MetricSources

BEFORE_FIRST_SIGNAL = timedelta(hours=1)  # a read starts this long before the incident's first signal
SHARED_FOR = timedelta(seconds=20)  # a range read serves every use within this long (a board tick)
READERS = 8  # signals read at once


class Reader:
    """Reads watched signals from the configured metric sources (or a drill's script), each once per SHARED_FOR."""

    def __init__(self, *, ctx: Context, sources: MetricSources) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.sources = sources
        self.on_query: list[Callable[[str, str], object]] = []  # told (source, ok | failed | refused) per query
        self._recent: dict[tuple, tuple[datetime, Reading | Unreadable]] = {}  # (incident, signal) → when, what
        self._shared: dict[tuple, tuple[datetime, list[Series] | MetricFailure]] = {}  # one range → when, what
        self._lock = threading.Lock()
        # An incident's signals are read at once, not one after another, when its update is due.
        self._pool = ContextPool(READERS, thread_name_prefix="firehouse-signals")

    def read_all(self, incident: Incident, signals: Sequence[Signal], now: datetime, *,
                 fresh: bool = False) -> dict[str, Reading | Unreadable]:
        """Each signal's reading, by name, read side by side."""
        if len(signals) < 2:
            return {s.name: self.read(incident, s, now, fresh=fresh) for s in signals}
        futures = {s.name: self._pool.submit(self.read, incident, s, now, fresh=fresh) for s in signals}
        return {name: future.result() for name, future in futures.items()}

    def read(self, incident: Incident, signal: Signal, now: datetime, *, fresh: bool = False) -> Reading | Unreadable:
        """The signal from the hour before the incident's first signal to `now`, or as read in the last SHARED_FOR
        (unless `fresh`: a person deciding on it now)."""
        key = (incident.id, signal.name, signal.query)
        with self._lock:
            recent = self._recent.get(key)
        if recent and recent[0] <= now < recent[0] + SHARED_FOR and not fresh:
            return recent[1]
        reading = self._fresh(incident, signal, now, shared=not fresh)
        with self._lock:
            self._recent = {k: v for k, v in self._recent.items() if v[0] <= now < v[0] + SHARED_FOR}
            self._recent[key] = (now, reading)
        return reading

    def _fresh(self, incident: Incident, signal: Signal, now: datetime, *, shared: bool) -> Reading | Unreadable:
        first = min(t for t in (incident.detected_at, incident.declared_at) if t) - BEFORE_FIRST_SIGNAL
        start = first.replace(minute=0, second=0, microsecond=0)  # on the hour: incidents of one hour share reads
        step = step_for(start, now, window=self.settings.watch.window)
        start = max(start, now - step * MAX_POINTS)  # a long incident: its most recent stretch
        start, end = _aligned(start, step, down=True), _aligned(now, step, down=False)
        try:
            series = self._range(incident, signal, start=start, end=end, step=step, shared=shared)
        except MetricFailure as failure:
            return Unreadable(signal, failure.reason, refused=isinstance(failure, QueryRefused))
        now_series, baseline = split_baseline(series) if signal.baseline else (series, [])
        return Reading(signal, start, end, tuple(now_series), tuple(baseline))  # `end` is the step after now

    def _range(self, incident: Incident, signal: Signal, *, start: datetime, end: datetime, step: timedelta,
               shared: bool) -> list[Series]:
        if signal.source == SCRIPTED:
            with self.ctx.unit_of_work() as uow:
                run = uow.drills.of(incident.id)
            script = run.scenario.signal(signal.name) if run else None
            if script is None:
                raise MetricFailure("the drill's scenario no longer scripts it")
            return script.series(run.started_at, start=start, end=end, step=step)
        source = self.settings.metric_sources.get(signal.source)
        if source is None:
            raise MetricFailure(f"its metric source `{signal.source}` is no longer configured")
        query = windowed_query(signal, step) if signal.baseline else signal.query
        key, now = (source.name, query, start, end, step), self.ctx.clock()
        with self._lock:
            found = self._shared.get(key) if shared else None
        if found is None or not found[0] <= now < found[0] + SHARED_FOR:
            found = (now, self._ask(source, query, start=start, end=end, step=step))
            with self._lock:
                self._shared = {k: v for k, v in self._shared.items() if v[0] <= now < v[0] + SHARED_FOR}
                self._shared[key] = found
        if isinstance(found[1], MetricFailure):
            raise found[1]
        return found[1]

    def _ask(self, source: MetricSourceSettings, query: str, *, start: datetime, end: datetime,
             step: timedelta) -> list[Series] | MetricFailure:
        """The source's answer, or its failure (kept as well: a source that is down is asked once per moment)."""
        outcome = "ok"
        try:
            return self.sources.range(source, query, start=start, end=end, step=step)
        except MetricFailure as failure:
            outcome = "refused" if isinstance(failure, QueryRefused) else "failed"
            return failure
        finally:
            for listener in self.on_query:
                listener(source.name, outcome)


def frozen(reading: Reading) -> dict:
    """A reading as evidence: the signal as watched, the window, and every value the source answered."""
    def values(series: tuple[Series, ...]) -> list[dict]:
        return [{"labels": dict(s.labels), "values": [[t.isoformat(), v] for t, v in s.points]} for s in series]

    return {"signal": reading.signal.to_json(), "start": reading.start.isoformat(), "end": reading.end.isoformat(),
            "series": values(reading.series), "baseline_series": values(reading.baseline_series)}


def _aligned(moment: datetime, step: timedelta, *, down: bool) -> datetime:
    """`moment` on the step's grid, so reads of the same moment from several incidents share one query."""
    seconds = step.total_seconds()
    stamp = moment.timestamp()
    aligned = (stamp // seconds) * seconds
    if not down and aligned < stamp:
        aligned += seconds
    return datetime.fromtimestamp(aligned, tz=moment.tzinfo)
