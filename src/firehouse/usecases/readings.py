"""Reading live signals: one range query per watched signal, shared by every use within SHARED_FOR (a board
tick, or a read made just before an update is due so that the update need not wait for it), and by every
incident that asks for the same range meanwhile.

A read covers from the hour before the incident's first signal (on the hour, so that the incidents of one
hour ask for the same range) up to now, on a grid of whole-second steps. A drill's scripted signal is read
from its scenario, never from a metric source. A failure comes back as `Unreadable`, never raised: a post
that carries the signal goes out regardless.
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
        # a range read → when, up to when, and what came back (a failure too: a source that is down is asked once)
        self._read: dict[tuple, tuple[datetime, datetime, list[Series] | MetricFailure]] = {}
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
        """The signal from the hour before the incident's first signal to `now`: as read in the last SHARED_FOR, for
        this incident or another asking for the same range, unless `fresh` (a person deciding on it now)."""
        first = min(t for t in (incident.detected_at, incident.declared_at) if t) - BEFORE_FIRST_SIGNAL
        start = first.replace(minute=0, second=0, microsecond=0)  # on the hour: incidents of one hour share reads
        step = step_for(start, now, window=self.settings.watch.window)
        start = _aligned(max(start, now - step * MAX_POINTS), step, down=True)  # a long incident: its latest stretch
        key = (incident.id, signal.name) if signal.source == SCRIPTED else (
            signal.source, signal.query, signal.baseline)
        key += (start, step)
        with self._lock:
            found = None if fresh else self._read.get(key)
        if found is None or not found[0] <= now < found[0] + SHARED_FOR:
            end = _aligned(now, step, down=False)  # the step after now
            found = (now, end, self._answer(incident, signal, start=start, end=end, step=step))
            with self._lock:
                self._read = {k: v for k, v in self._read.items() if v[0] <= now < v[0] + SHARED_FOR}
                self._read[key] = found
        _, end, answer = found
        if isinstance(answer, MetricFailure):
            return Unreadable(signal, answer.reason, refused=isinstance(answer, QueryRefused))
        now_series, baseline = split_baseline(answer) if signal.baseline else (answer, [])
        return Reading(signal, start, end, tuple(now_series), tuple(baseline))

    def _answer(self, incident: Incident, signal: Signal, *, start: datetime, end: datetime,
                step: timedelta) -> list[Series] | MetricFailure:
        """The range's series from the signal's source (a drill's script, or a metric source), or its failure."""
        if signal.source == SCRIPTED:
            with self.ctx.unit_of_work() as uow:
                run = uow.drills.of(incident.id)
            script = run.scenario.signal(signal.name) if run else None
            if script is None:
                return MetricFailure("the drill's scenario no longer scripts it")
            return script.series(run.started_at, start=start, end=end, step=step)
        source = self.settings.metric_sources.get(signal.source)
        if source is None:
            return MetricFailure(f"its metric source `{signal.source}` is no longer configured")
        query = windowed_query(signal, step) if signal.baseline else signal.query
        return self._ask(source, query, start=start, end=end, step=step)

    def _ask(self, source: MetricSourceSettings, query: str, *, start: datetime, end: datetime,
             step: timedelta) -> list[Series] | MetricFailure:
        """The source's answer, or its failure."""
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
