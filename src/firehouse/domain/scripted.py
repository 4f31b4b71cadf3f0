"""A drill scenario's scripted signal: values by minute, read as a range query would answer them, so a drill
practises verifying a firebreak without a metric source."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from firehouse.domain.signals import Series, Signal
from firehouse.domain.times import span

SCRIPTED = "drill"  # the metric source of a scripted signal: its values come from the scenario, not a query
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the origin of a range query's grid of moments
MAX_VALUES = 500  # values in one scripted signal


@dataclass(frozen=True)
class ScriptedSignal:
    """A signal the scenario scripts: (minute from the drill's start, value) pairs, minutes increasing, each
    value holding until the next. Read against its threshold, as a drill has no week-old data."""

    name: str
    label: str
    threshold: float
    values: tuple[tuple[float, float], ...]
    unit: str = "count"
    worse: str = "higher"

    @property
    def signal(self) -> Signal:
        """The signal a war room watches, from the SCRIPTED source: read by `series`, never by a query."""
        return Signal(name=self.name, query="scripted by the drill's scenario", label=self.label, source=SCRIPTED,
                      unit=self.unit, worse=self.worse, threshold=self.threshold)

    def series(self, started_at: datetime, *, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        """The script as a range query over [start, end] would answer it: one unlabelled series with a point at
        each moment of the step's grid, from the drill's start on, the last value scripted at or before it."""
        if step <= timedelta():
            raise ValueError("step must be longer than nothing")
        offsets = [timedelta(minutes=minute) for minute, _ in self.values]
        first = max(start, started_at)
        moment = _EPOCH + (first - _EPOCH) // step * step
        moment += step if moment < first else timedelta()
        points = []
        while moment <= end:
            scripted = bisect_right(offsets, moment - started_at)
            if scripted:
                points.append((moment, self.values[scripted - 1][1]))
            moment += step
        return [Series((), tuple(points))]

    def check(self, time_limit: timedelta) -> None:
        """1 to MAX_VALUES values, at increasing minutes from 0 and before the end of the drill."""
        where = f"signals.{self.name}"
        if not 1 <= len(self.values) <= MAX_VALUES:
            raise ValueError(f"{where}.values has {len(self.values)} values; give 1 to {MAX_VALUES}")
        previous = None
        for minute, _ in self.values:
            if minute < 0:
                raise ValueError(f"{where}.values: minute {minute:g} is before the drill starts (0 is the alarm)")
            if previous is not None and minute <= previous:
                raise ValueError(f"{where}.values: the minutes must increase, and {minute:g} comes after"
                                 f" {previous:g}")
            if timedelta(minutes=minute) >= time_limit:
                raise ValueError(f"{where}.values: minute {minute:g} is past the end of the drill"
                                 f" (time_limit {span(time_limit)})")
            previous = minute

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "unit": self.unit, "worse": self.worse,
                "threshold": self.threshold, "values": [[minute, value] for minute, value in self.values]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScriptedSignal:
        return cls(name=data["name"], label=data["label"], unit=data["unit"], worse=data["worse"],
                   threshold=data["threshold"], values=tuple((minute, value) for minute, value in data["values"]))
