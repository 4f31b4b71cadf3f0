"""The numbers: how fast incidents got a captain, were contained and resolved, and whether customers and
regulators heard in time; by class, by severity and in all, with a weekly trend. Drills never count.

Every time is measured from the first signal (`Incident.first_known_at`: detection when it was recorded,
else the declaration), as `/incident summary` and the postmortem measure it:

    time to captain        first signal → a person took the captain role; a provisional captain does not count
    time to contain (MTTC) first signal → `contained`; an incident resolved without passing through `contained`
                           was contained by its resolution at the latest, and counts then
    time to resolve (MTTR) first signal → resolved; an open (or reopened) incident counts among the incidents,
                           not here
    time to first update   first signal → the first status update (`/incident update`) on the timeline
    notices on time        a product-lane notice marked sent within `notice_within` of the first signal, out of
                           the incidents that had one sent or owed one (a SEV1 that reached users or where nobody
                           said, the rule `/incident resolve` enforces). A waiver is a decision, not a notice: it
                           is counted apart, neither on time nor late. One owed, unsent and still inside its window
                           is not counted yet; once the window has passed unsent, it is late.
    deadlines met          regulatory deadlines reported (a legal notice of that regime and stage marked sent) at
                           or before their due time, out of the deadlines that came due or were reported. A regime
                           decided not reportable is counted apart; a deadline not yet due and unreported is not
                           counted yet.
    containments verified  firebreaks that took effect and that a watched signal confirmed (a verification
                           `worked`: measured back within its baseline), out of every firebreak that took effect
                           (one measured with no effect, or never measured because nothing was watched, counts
                           as not verified)

Each time is reported as its mean and median over the incidents that reached that moment, with how many
did. Pure arithmetic: `now` is a parameter.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity

WEEK = timedelta(days=7)
ON_TIME, LATE, ASIDE, PENDING = "on time", "late", "aside", "pending"  # what became of a notice or a deadline


@dataclass(frozen=True)
class Record:
    """One incident and what the store knows about it beyond the incident itself."""

    incident: Incident
    first_update_at: datetime | None = None
    reported_at: Mapping[str, datetime] = field(default_factory=dict)  # deadline key → its legal notice marked sent
    containments: tuple[bool, ...] = ()  # per firebreak that took effect: whether a verification found it worked


@dataclass(frozen=True)
class Times:
    """The mean and median of some durations, and how many there were (`n`)."""

    n: int = 0
    mean: timedelta | None = None
    median: timedelta | None = None

    @classmethod
    def of(cls, values: Iterable[timedelta | None]) -> Times:
        seconds = [value.total_seconds() for value in values if value is not None]
        if not seconds:
            return cls()
        return cls(len(seconds), timedelta(seconds=statistics.fmean(seconds)),
                   timedelta(seconds=statistics.median(seconds)))


@dataclass(frozen=True)
class Share:
    """`hit` of `of` (notices on time, deadlines met); `aside` were decided otherwise (a waiver, not reportable)
    and `pending` are not due yet: neither is in `of`."""

    hit: int = 0
    of: int = 0
    aside: int = 0
    pending: int = 0

    def __str__(self) -> str:
        return f"{self.hit} of {self.of}"

    @classmethod
    def of_outcomes(cls, outcomes: Sequence[str]) -> Share:
        return cls(hit=outcomes.count(ON_TIME), of=outcomes.count(ON_TIME) + outcomes.count(LATE),
                   aside=outcomes.count(ASIDE), pending=outcomes.count(PENDING))


@dataclass(frozen=True)
class Figures:
    """The numbers of one group of incidents: a class, a severity, or all of them."""

    name: str
    incidents: int
    open: int
    to_captain: Times
    to_contain: Times
    to_resolve: Times
    to_first_update: Times
    notices: Share
    deadlines: Share
    containments: Share = Share()  # firebreaks that took effect, and those verified to have worked


@dataclass(frozen=True)
class Week:
    """One week of the trend (Monday 00:00 UTC onwards): the incidents declared in it, and the medians of their
    times to contain and resolve (None when none of them got there)."""

    start: datetime
    incidents: int
    to_contain: timedelta | None
    to_resolve: timedelta | None


@dataclass(frozen=True)
class Numbers:
    """The incidents declared from `since` (inclusive) to `until` (exclusive), drills left out; a customer notice
    counted as on time when sent within `notice_within` of the first signal."""

    since: datetime
    until: datetime
    notice_within: timedelta
    total: Figures
    by_class: tuple[Figures, ...]
    by_severity: tuple[Figures, ...]
    weeks: tuple[Week, ...]


@dataclass(frozen=True)
class _Measured:
    """One incident's times and outcomes."""

    incident: Incident
    to_captain: timedelta | None
    to_contain: timedelta | None
    to_resolve: timedelta | None
    to_first_update: timedelta | None
    notice: str | None
    deadlines: tuple[str, ...]
    containments: tuple[bool, ...]


def numbers(records: Iterable[Record], *, since: datetime, until: datetime, now: datetime,
            regimes: Mapping[str, tuple[str, ...]], notice_within: timedelta, classes: Sequence[str] = ()) -> Numbers:
    """The numbers of the incidents in `records` declared in [`since`, `until`), drills left out. `regimes` are the
    enabled regulatory regimes (id → classes covered); classes are listed in the order of `classes`, then any
    others (a class since removed from the configuration) by name."""
    measured = [_measure(r, now=now, regimes=regimes, notice_within=notice_within) for r in records
                if not r.incident.drill and since <= r.incident.declared_at < until]
    found = {m.incident.class_id for m in measured}
    order = [c for c in classes if c in found] + sorted(found - set(classes))
    return Numbers(
        since=since, until=until, notice_within=notice_within, total=_figures("all", measured),
        by_class=tuple(_figures(c, [m for m in measured if m.incident.class_id == c]) for c in order),
        by_severity=tuple(_figures(s.label, [m for m in measured if m.incident.severity is s]) for s in Severity
                          if any(m.incident.severity is s for m in measured)),
        weeks=tuple(_weeks(measured, since=since, until=until)),
    )


def week_start(moment: datetime) -> datetime:
    """The Monday 00:00 (in `moment`'s offset; UTC for Firehouse's moments) that opens `moment`'s week."""
    day = moment - timedelta(days=moment.weekday())
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def notice_outcome(incident: Incident, *, now: datetime, within: timedelta) -> str | None:
    """On time, late, aside (waived), pending (owed, unsent, its window still open), or None: none sent or owed."""
    due = incident.first_known_at + within
    owed = incident.severity is Severity.SEV1 and incident.reached_users is not False
    if incident.notice_sent_at is not None:
        return ON_TIME if incident.notice_sent_at <= due else LATE
    if not owed:
        return None
    if incident.notice_waiver:
        return ASIDE
    return PENDING if now <= due else LATE


def deadline_outcomes(incident: Incident, reported_at: Mapping[str, datetime], *, now: datetime,
                      regimes: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """For each regulatory deadline of the incident: on time (reported by its due time), late (reported after it,
    or due and unreported), aside (its regime decided not reportable) or pending (not due, not reported)."""
    outcomes = []
    for deadline in incident.deadlines(regimes):
        reported = reported_at.get(deadline.key)
        if deadline.regime in incident.not_reportable:
            outcomes.append(ASIDE)
        elif reported is not None:
            outcomes.append(ON_TIME if reported <= deadline.due else LATE)
        else:
            outcomes.append(LATE if deadline.due <= now else PENDING)
    return tuple(outcomes)


def _measure(record: Record, *, now: datetime, regimes: Mapping[str, tuple[str, ...]],
             notice_within: timedelta) -> _Measured:
    incident = record.incident
    start = incident.first_known_at

    def since_start(moment: datetime | None) -> timedelta | None:
        return None if moment is None else max(moment - start, timedelta(0))

    return _Measured(
        incident=incident,
        to_captain=since_start(incident.captain_at),
        to_contain=since_start(incident.contained_at or incident.resolved_at),
        to_resolve=since_start(incident.resolved_at),
        to_first_update=since_start(record.first_update_at),
        notice=notice_outcome(incident, now=now, within=notice_within),
        deadlines=deadline_outcomes(incident, record.reported_at, now=now, regimes=regimes),
        containments=tuple(record.containments),
    )


def _figures(name: str, measured: Sequence[_Measured]) -> Figures:
    def times(of: Callable[[_Measured], timedelta | None]) -> Times:
        return Times.of(of(m) for m in measured)

    return Figures(
        name=name, incidents=len(measured), open=sum(m.incident.status.is_open for m in measured),
        to_captain=times(lambda m: m.to_captain), to_contain=times(lambda m: m.to_contain),
        to_resolve=times(lambda m: m.to_resolve), to_first_update=times(lambda m: m.to_first_update),
        notices=Share.of_outcomes([m.notice for m in measured if m.notice]),
        deadlines=Share.of_outcomes([outcome for m in measured for outcome in m.deadlines]),
        containments=Share(hit=sum(worked for m in measured for worked in m.containments),
                           of=sum(len(m.containments) for m in measured)),
    )


def _weeks(measured: Sequence[_Measured], *, since: datetime, until: datetime) -> Iterable[Week]:
    """Every week the window touches, oldest first, empty ones too (a quiet week is part of the trend)."""
    if until <= since:
        return
    by_week: dict[datetime, list[_Measured]] = {}
    for m in measured:
        by_week.setdefault(week_start(m.incident.declared_at.astimezone(since.tzinfo)), []).append(m)
    start, last = week_start(since), week_start(until - timedelta(microseconds=1))
    while start <= last:
        inside = by_week.get(start, [])
        yield Week(start, len(inside), Times.of(m.to_contain for m in inside).median,
                   Times.of(m.to_resolve for m in inside).median)
        start += WEEK
