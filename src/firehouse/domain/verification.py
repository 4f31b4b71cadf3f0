"""Verification: what a firebreak measurably did to a watched signal, and whether monitoring has settled.

Its mean over a window before the pull against its mean over the last window: back within baseline, better
but still outside, no measurable effect, or worse. Recorded once per firebreak and signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firehouse.domain.events import TimelineEntry
from firehouse.domain.signals import Reading, Signal, Standing, Unreadable
from firehouse.domain.times import span

MEASURABLE = 0.10  # a change smaller than this (relative) is no measurable effect


class Verdict(StrEnum):
    WORKED = "worked"  # back within baseline
    BETTER = "better"  # measurably better, still outside baseline
    NO_EFFECT = "no effect"
    WORSE = "worse"
    UNKNOWN = "unknown"  # no data before or after, or the source never answered


@dataclass(frozen=True)
class Effect:
    """What a firebreak measurably did to a signal: its mean over `window` before the pull against its mean
    over the last `window`."""

    firebreak: str
    signal: str  # the label
    before: float | None
    after: float | None
    verdict: Verdict
    text: str

    @property
    def worked(self) -> bool:
        return self.verdict is Verdict.WORKED


def measure(reading: Reading, *, firebreak: str, took_effect: datetime, window: timedelta) -> Effect:
    """`Effect of refund-agent-off on fraud-flag rate: 9.1% → 2.1% (−77%), back within baseline`."""
    signal, show = reading.signal, reading.signal.show
    before = reading.value(start=took_effect - window, end=took_effect)
    after = reading.value(start=reading.end - window, end=reading.end)
    head = f"Effect of {firebreak} on {signal.label}"

    def effect(verdict: Verdict, text: str) -> Effect:
        return Effect(firebreak, signal.label, before, after, verdict, f"{head}: {text}")

    if before is None or after is None:
        return effect(Verdict.UNKNOWN, "not measurable, no data " + (
            "before the pull" if before is None else f"in the last {span(window)}"))
    moved = f"{show(before)} → {show(after)}"
    change = f" ({'−' if after < before else '+'}{abs(after - before) / abs(before):.0%})" if before else ""
    was_within = signal.within(before, reading.baseline(start=took_effect - window, end=took_effect))
    within = signal.within(after, reading.baseline(start=reading.end - window, end=reading.end))
    better = signal.better(before, after)
    if abs(better) < MEASURABLE:
        return effect(Verdict.NO_EFFECT, f"no measurable effect: {moved}")
    if better < 0:
        return effect(Verdict.WORSE, f"worse: {moved}{change}")
    if within and was_within is False:
        return effect(Verdict.WORKED, f"{moved}{change}, back within baseline")
    return effect(Verdict.BETTER, f"{moved}{change}, " + {
        True: "within baseline before and after", False: "still outside baseline",
        None: "no baseline to compare with"}[within])


def unmeasured(firebreak: str, signal: Signal, reason: str) -> Effect:
    """The source never answered while the verification was due: said so, once."""
    return Effect(firebreak, signal.label, None, None, Verdict.UNKNOWN,
                  f"Effect of {firebreak} on {signal.label}: not measured, {reason}")


def mitigated(verifications: Sequence[Verification]) -> bool:
    """Whether customers may read that the measure taken has worked: some firebreak was measured bringing a
    signal back within its baseline, and the latest measure of every signal is `worked` or `unknown` (a later
    `better`, `no effect` or `worse` says that signal is not back, so nothing is claimed)."""
    latest: dict[str, Verification] = {}
    for verification in sorted(verifications, key=lambda v: v.done_at):
        latest[verification.signal] = verification
    return (any(v.verdict == Verdict.WORKED for v in verifications)
            and all(v.verdict in (Verdict.WORKED, Verdict.UNKNOWN) for v in latest.values()))


def settled(readings: Sequence[Standing | Unreadable], *, now: datetime, settle: timedelta,
            entered: datetime | None = None) -> bool:
    """Every watched signal has stood within baseline for at least `settle`, counted from no earlier than the
    move into monitoring (`entered`)."""
    return bool(readings) and all(isinstance(r, Standing) and r.within and r.since is not None
                                  and now - max(r.since, entered or r.since) >= settle for r in readings)


@dataclass
class Verification:
    """A firebreak's measured effect on one watched signal, due `verify_after` after it took effect."""

    incident_id: int
    firebreak_id: int
    signal: str  # the watched signal's name
    due_at: datetime
    done_at: datetime
    verdict: Verdict
    text: str
    before: float | None = None
    after: float | None = None
    id: int | None = None


@dataclass(frozen=True)
class FirebreakVerified:
    """A firebreak's effect on a watched signal was measured."""

    at: datetime
    by: str
    firebreak_id: int
    effect: Effect

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "verify", self.effect.text)


@dataclass(frozen=True)
class SignalsOverridden:
    """The status moved although watched signals were still outside their baseline: confirmed by a person."""

    at: datetime
    by: str
    status: str
    standings: tuple[str, ...]

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "signals", f"Moved to {self.status} although still outside baseline"
                                                          f" (confirmed): {'; '.join(self.standings)}")


@dataclass(frozen=True)
class SignalsSettled:
    """In monitoring, every watched signal stayed within baseline for the settle window."""

    at: datetime
    by: str
    settle: timedelta
    standings: tuple[str, ...]

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "signals", f"Every watched signal within baseline for"
                                                          f" {span(self.settle)}: {'; '.join(self.standings)}")
