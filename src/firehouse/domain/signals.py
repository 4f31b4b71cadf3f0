"""Live signals: whether containment worked, read from the metrics rather than hoped for.

A signal is a named PromQL query with a label people read, a unit, the direction that is worse, and a
baseline: the same window a while ago (`baseline = "7d"`) or a threshold. The rules here are pure: how a
range of values reads against its baseline. What a firebreak measurably did is `domain.verification`; which
signals a war room watches, and why, `domain.watches`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from firehouse.domain.times import hhmm

UNITS = ("percent", "count", "per_second", "seconds", "usd", "tokens")
WORSE = ("higher", "lower")
DEFAULT_TOLERANCE = 0.2  # within baseline: no more than 20 % worse than the same window before
MAX_LINES = 5  # series drawn one by one on a chart; the rest are summed as "other"
POINTS = 240  # points a range query asks for, whatever the range
MAX_POINTS = 10_000  # at most, however long the range (Prometheus refuses more than 11,000)

Point = tuple[datetime, float]


@dataclass(frozen=True)
class WatchWhen:
    """When a configured signal is watched without anyone asking."""

    classes: tuple[str, ...] = ()
    firebreaks: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signal:
    """A named query against a metric source, and how to read its values."""

    name: str
    query: str
    label: str
    source: str
    unit: str = "count"
    worse: str = "higher"
    baseline: timedelta | None = None  # compare with the same window this long ago
    threshold: float | None = None  # or with this value
    tolerance: float = DEFAULT_TOLERANCE
    watch: WatchWhen = field(default_factory=WatchWhen)

    def show(self, value: float | None) -> str:
        """`9.1%`, `1,204`, `3.2/s`, `1.40 s`, `$12.50` or `48,000 tokens`; `-` for no value."""
        if value is None:
            return "-"
        match self.unit:
            case "percent":
                return f"{value * 100:.1f}%"
            case "per_second":
                return f"{value:,.0f}/s" if abs(value) >= 100 else f"{value:,.3g}/s"  # 12,345/s, never 1.23e+04/s
            case "seconds":
                return f"{value:,.2f} s"
            case "usd":
                return f"${value:,.2f}"
            case "tokens":
                return f"{value:,.0f} tokens"
        return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.3g}"

    @property
    def baseline_name(self) -> str:
        """How the baseline is named to people: `7d before` or `threshold 3.0%`."""
        if self.threshold is not None:
            return f"threshold {self.show(self.threshold)}"
        return f"{compact(self.baseline)} before" if self.baseline else "no baseline"

    def within(self, value: float, baseline: float | None) -> bool | None:
        """Whether `value` is within baseline: on the good side of the threshold, or no more than `tolerance`
        worse than the baseline window. None when there is nothing to compare with."""
        if self.threshold is not None:
            baseline = self.threshold
            slack = 0.0
        elif baseline is None:
            return None
        else:
            slack = abs(baseline) * self.tolerance
        return value <= baseline + slack if self.worse == "higher" else value >= baseline - slack

    def to_json(self) -> dict:
        """The definition as it was watched, for the store and the evidence (durations in seconds)."""
        return {"name": self.name, "query": self.query, "label": self.label, "source": self.source,
                "unit": self.unit, "worse": self.worse, "tolerance": self.tolerance, "threshold": self.threshold,
                "baseline": self.baseline.total_seconds() if self.baseline else None}

    @classmethod
    def from_json(cls, data: dict) -> Signal:
        baseline = data.get("baseline")
        return cls(name=data["name"], query=data["query"], label=data["label"], source=data["source"],
                   unit=data["unit"], worse=data["worse"], tolerance=data["tolerance"], threshold=data["threshold"],
                   baseline=timedelta(seconds=baseline) if baseline else None)

    def better(self, before: float, after: float) -> float:
        """How much better `after` is than `before`, relative (0.77: 77 % better; negative: worse)."""
        if before == 0:
            return 0.0 if after == 0 else (-1.0 if (after > 0) == (self.worse == "higher") else 1.0)
        change = (after - before) / abs(before)
        return -change if self.worse == "higher" else change


@dataclass(frozen=True)
class Series:
    """One series a query answered: its labels and its values, oldest first."""

    labels: tuple[tuple[str, str], ...]
    points: tuple[Point, ...]

    @property
    def name(self) -> str:
        """`{model="a", route="b"}`, or the whole query's value when it has no labels."""
        shown = [(k, v) for k, v in self.labels if k != "__name__"]
        return "{" + ", ".join(f'{k}="{v}"' for k, v in shown) + "}" if shown else "value"


def compact(delta: timedelta) -> str:
    """`7d`, `36h`, `90m` or `45s`: a duration as it is configured."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


WINDOW_LABEL = "firehouse_window"  # marks the baseline's series in the one range query that brings both


def windowed_query(signal: Signal, step: timedelta) -> str:
    """One range query for a signal and its baseline: the query as it is, and (marked with WINDOW_LABEL) the
    same query `baseline` earlier by PromQL `offset`, through a subquery at the range's own step."""
    seconds = f"{max(1, int(step.total_seconds()))}s"
    offset = f"{int(signal.baseline.total_seconds())}s"
    return (f'({signal.query}) or label_replace(last_over_time(({signal.query})[{seconds}:{seconds}] offset {offset}),'
            f' "{WINDOW_LABEL}", "baseline", "", "")')


def split_baseline(series: Iterable[Series]) -> tuple[list[Series], list[Series]]:
    """The series of `windowed_query`'s answer: (now, baseline), the marker label removed."""
    now, baseline = [], []
    for one in series:
        labels = tuple((k, v) for k, v in one.labels if k != WINDOW_LABEL)
        (baseline if len(labels) < len(one.labels) else now).append(Series(labels, one.points))
    return now, baseline


def finite(points: Iterable[Point]) -> list[Point]:
    """The points with a real value (Prometheus answers NaN or ±Inf for 0/0 and the like)."""
    return [(t, v) for t, v in points if math.isfinite(v)]


def combine(series: Sequence[Series], unit: str) -> tuple[Point, ...]:
    """Several series as one line, per moment: their sum, or their mean for a ratio (`percent`)."""
    by_time: dict[datetime, list[float]] = {}
    for one in series:
        for at, value in finite(one.points):
            by_time.setdefault(at, []).append(value)
    return tuple((at, sum(values) / len(values) if unit == "percent" else sum(values))
                 for at, values in sorted(by_time.items()))


def mean(points: Iterable[Point], start: datetime, end: datetime) -> float | None:
    """The mean of the finite values in [start, end]; None when there are none."""
    values = [v for t, v in finite(points) if start <= t <= end]
    return sum(values) / len(values) if values else None


def step_for(start: datetime, end: datetime, *, window: timedelta | None = None) -> timedelta:
    """The resolution of a range query: about POINTS points, never finer than 15 seconds, in whole seconds (a
    step Prometheus reads exactly, so the range's last point is the one asked for); with a `window`, at least
    five points in it, however long the range (a day-old incident still averages its last five minutes)."""
    seconds = max(15, math.ceil((end - start).total_seconds() / POINTS))
    if window is not None:
        seconds = min(seconds, max(15, int(window.total_seconds() // 5)))
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Reading:
    """A signal read over [start, end]: the series the query answered, and its baseline window's series
    moved onto this window (empty for a threshold)."""

    signal: Signal
    start: datetime
    end: datetime
    series: tuple[Series, ...]
    baseline_series: tuple[Series, ...] = ()

    @cached_property  # read again and again to describe one moment: combined once
    def line(self) -> tuple[Point, ...]:
        return combine(self.series, self.signal.unit)

    @cached_property
    def baseline_line(self) -> tuple[Point, ...]:
        if self.signal.threshold is not None:
            return ((self.start, self.signal.threshold), (self.end, self.signal.threshold))
        return combine(self.baseline_series, self.signal.unit)

    @property
    def empty(self) -> bool:
        return not self.line

    def lines(self) -> list[tuple[str, tuple[Point, ...]]]:
        """What a chart draws: up to MAX_LINES series by name (the largest first), the rest summed as "other"."""
        ranked = sorted(self.series, key=lambda s: -max((v for _, v in finite(s.points)), default=0.0))
        shown = [(s.name, tuple(finite(s.points))) for s in ranked[:MAX_LINES]]
        rest = ranked[MAX_LINES:]
        if rest:
            shown.append((f"other ({len(rest)})", combine(rest, "count")))
        return shown

    def value(self, *, start: datetime, end: datetime) -> float | None:
        return mean(self.line, start, end)

    def baseline(self, *, start: datetime, end: datetime) -> float | None:
        if self.signal.threshold is not None:
            return self.signal.threshold
        return mean(self.baseline_line, start, end)

    def now(self, window: timedelta) -> Standing:
        """Where the signal stands over the last `window`, and since when it has stood so."""
        start = self.end - window
        value = self.value(start=start, end=self.end)
        baseline = self.baseline(start=start, end=self.end)
        within = None if value is None else self.signal.within(value, baseline)
        return Standing(self.signal, value, baseline, within, self._since(within) if within is not None else None)

    def _since(self, within: bool) -> datetime | None:
        """The first moment of the run of points that, like now, are `within` baseline (or not)."""
        base = dict(self.baseline_line) if self.signal.threshold is None else None
        since = None
        for at, value in reversed(self.line):
            reference = self.signal.threshold if base is None else base.get(at)
            if reference is None and base is not None:
                continue  # no baseline value at this moment: it neither ends nor extends the run
            if self.signal.within(value, reference) is not within:
                break
            since = at
        return since


@dataclass(frozen=True)
class Standing:
    """A signal's value over the last window against its baseline."""

    signal: Signal
    value: float | None
    baseline: float | None
    within: bool | None
    since: datetime | None = None

    @property
    def ratio(self) -> float | None:
        """value ÷ baseline (`4.6×`), when both are known and the baseline is not zero."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def describe(self) -> str:
        """`fraud-flag rate 2.1% (baseline 2.0%): within baseline since 14:32 UTC`."""
        label, show = self.signal.label, self.signal.show
        if self.value is None:
            return f"{label}: no data"
        base = f"{'baseline' if self.signal.threshold is None else 'threshold'} {show(self.baseline)}"
        if self.baseline is None:
            return f"{label} {show(self.value)} (no baseline data {self.signal.baseline_name})"
        where = "within baseline" if self.within else "outside baseline"
        since = f" since {hhmm(self.since)}" if self.since else ""
        return f"{label} {show(self.value)} ({base}): {where}{since}"

    def headline(self) -> str:
        """`fraud-flag rate 9.1% now (baseline 2.0%, 4.6×)`, the line under a chart."""
        label, show = self.signal.label, self.signal.show
        if self.value is None:
            return f"{label}: no data"
        if self.baseline is None:
            return f"{label} {show(self.value)} now (no baseline data {self.signal.baseline_name})"
        word = "baseline" if self.signal.threshold is None else "threshold"
        ratio = f", {self.ratio:.1f}×" if self.ratio is not None else ""
        return f"{label} {show(self.value)} now ({word} {show(self.baseline)}{ratio})"


@dataclass(frozen=True)
class Unreadable:
    """A signal that could not be read now, and why ("Prometheus did not answer"): said, never fatal."""

    signal: Signal
    reason: str
    refused: bool = False  # the source refused the query itself (a syntax error): trying again will not help

    def describe(self) -> str:
        return f"{self.signal.label}: unavailable: {self.reason}"

    headline = describe


def outside(standings: Iterable[Standing | Unreadable]) -> list[Standing]:
    """The signals known to stand outside their baseline now."""
    return [s for s in standings if isinstance(s, Standing) and s.within is False]
