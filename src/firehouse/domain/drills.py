"""Drills: practice incidents that run the very same flow, scored against the 60-minute flow.

A scenario is a script: the alarm that opens the drill, the class and the severity the facts point to
(hidden from the responders), and injects the bot posts as the clock runs. A run starts from a frozen
copy of its scenario, so editing the file later never changes a run's history. When the drill ends (a
person says so, or its time limit passes) it is scored: how long the room took to each milestone of the
flow, which first-hour checklist items came too late, and whether it chose the scenario's severity. A scenario
may script signals, values by minute, so a drill practises verifying a firebreak without a metric source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from firehouse.domain.board import PHASES
from firehouse.domain.events import TimelineEntry
from firehouse.domain.scripted import ScriptedSignal
from firehouse.domain.severity import Severity
from firehouse.domain.times import span
from firehouse.errors import InvalidChange

DRY_RUN, LIVE = "dry-run", "live"  # how a drill's firebreaks run: answered without a call, or for real
ENDED = "This drill has ended already; its report is in the channel."
MAX_SIGNALS = 5  # scripted signals in one scenario


@dataclass(frozen=True)
class Inject:
    """Something the bot says `at` into the drill, as the world would: "finance says spend doubled"."""

    at: timedelta
    text: str


@dataclass(frozen=True)
class Scenario:
    """A drill's script. `severity`, `class_id`, `cause` and `why` are the answer, shown only in the report."""

    name: str
    title: str
    summary: str
    alarm: str
    class_id: str
    severity: Severity
    why: str
    injects: tuple[Inject, ...] = ()
    time_limit: timedelta = timedelta(minutes=60)
    firebreaks: str = DRY_RUN
    cause: str | None = None
    signals: tuple[ScriptedSignal, ...] = ()
    pagers: str = DRY_RUN  # live: the routing rules' pagers are really paged, marked as a drill

    def signal(self, name: str) -> ScriptedSignal | None:
        return next((scripted for scripted in self.signals if scripted.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The scenario as the run keeps it, frozen when the drill started."""
        return {"name": self.name, "title": self.title, "summary": self.summary, "alarm": self.alarm,
                "class": self.class_id, "severity": int(self.severity), "why": self.why,
                "injects": [{"at": int(i.at.total_seconds()), "text": i.text} for i in self.injects],
                "time_limit": int(self.time_limit.total_seconds()), "firebreaks": self.firebreaks, "cause": self.cause,
                "signals": [scripted.to_json() for scripted in self.signals], "pagers": self.pagers}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scenario:
        """A frozen scenario; one kept before scenarios scripted signals has none."""
        return cls(name=data["name"], title=data["title"], summary=data["summary"], alarm=data["alarm"],
                   class_id=data["class"], severity=Severity(data["severity"]), why=data["why"],
                   injects=tuple(Inject(timedelta(seconds=i["at"]), i["text"]) for i in data["injects"]),
                   time_limit=timedelta(seconds=data["time_limit"]), firebreaks=data["firebreaks"],
                   cause=data.get("cause"),
                   signals=tuple(ScriptedSignal.from_json(s) for s in data.get("signals", ())),
                   pagers=data.get("pagers", DRY_RUN))


# --- the run ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillStarted:
    at: datetime
    by: str
    scenario: str
    time_limit: timedelta
    injects: int

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "drill",
                             f"Drill started: scenario {self.scenario}, {span(self.time_limit)}"
                             f" time limit, {self.injects} inject{'' if self.injects == 1 else 's'};"
                             f" facilitator <@{self.by}>")


@dataclass(frozen=True)
class InjectPosted:
    at: datetime
    by: str
    offset: timedelta
    text: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "drill", f"Inject at +{span(self.offset)}: {self.text}")


@dataclass(frozen=True)
class DrillEnded:
    at: datetime
    by: str
    on_time: int
    milestones: int
    by_time_limit: bool = False

    def timeline_entry(self) -> TimelineEntry:
        how = " at its time limit" if self.by_time_limit else ""
        return TimelineEntry(self.at, self.by, "drill", f"Drill ended{how}: {self.on_time} of {self.milestones}"
                                                        " milestones inside the 60-minute flow")


@dataclass
class DrillRun:
    """One run of a scenario, in the incident it opened."""

    incident_id: int
    scenario: Scenario
    started_by: str  # the facilitator
    started_at: datetime
    injects_sent: int = 0
    ended_by: str | None = None
    ended_at: datetime | None = None
    report: Readiness | None = None
    id: int | None = None

    @classmethod
    def start(cls, scenario: Scenario, *, incident_id: int, by: str, at: datetime) -> tuple[DrillRun, DrillStarted]:
        run = cls(incident_id=incident_id, scenario=scenario, started_by=by, started_at=at)
        return run, DrillStarted(at=at, by=by, scenario=scenario.name, time_limit=scenario.time_limit,
                                 injects=len(scenario.injects))

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def ends_at(self) -> datetime:
        return self.started_at + self.scenario.time_limit

    def due_injects(self, now: datetime, *, by: str) -> list[InjectPosted]:
        """The injects whose time has come and that were not posted yet, in order; marks them posted. An inject
        missed while the bot was down is posted late, once."""
        if not self.running:
            return []
        due = [i for i in self.scenario.injects[self.injects_sent:] if self.started_at + i.at <= now]
        self.injects_sent += len(due)
        return [InjectPosted(at=now, by=by, offset=i.at, text=i.text) for i in due]

    def next_moment(self) -> datetime | None:
        """When the run next has something to do: its next inject, else its end; None once ended."""
        if not self.running:
            return None
        waiting = self.scenario.injects[self.injects_sent:]
        return self.started_at + waiting[0].at if waiting else self.ends_at

    def end(self, readiness: Readiness, *, by: str, at: datetime) -> DrillEnded:
        if not self.running:
            raise InvalidChange(ENDED)
        self.ended_by, self.ended_at, self.report = by, at, readiness
        return DrillEnded(at=at, by=by, on_time=readiness.on_time, milestones=len(readiness.milestones),
                          by_time_limit=readiness.timed_out)


# --- scoring --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """What the drill's record shows at its end, as moments (None: it never happened)."""

    captain_at: datetime | None
    classified_at: datetime | None
    severity_set_at: datetime  # when the severity last changed (the declaration when it never did)
    class_id: str
    severity: Severity
    first_snapshot_at: datetime | None
    first_firebreak_at: datetime | None  # the first one in force: pulled and carried out, dry run or not
    first_update_at: datetime | None
    first_product_draft_at: datetime | None
    contained_at: datetime | None


# Each milestone of the flow: its key, how the report names it, and the phase of the flow it belongs to.
MILESTONES = (
    ("captain", "Time to captain", 0),
    ("classify", "Time to classify with the right severity", 0),
    ("firebreak", "Time to first firebreak", 1),
    ("snapshot", "Time to first snapshot", 2),
    ("update", "Time to first stakeholder update", 3),
    ("notice", "Time to first product notice draft", 3),
)


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    target: timedelta  # the end of its phase of the flow
    after: timedelta | None  # from the start of the drill; None: never reached
    note: str = ""

    @property
    def on_time(self) -> bool:
        return self.after is not None and self.after <= self.target


@dataclass(frozen=True)
class Readiness:
    """A drill's readiness report against the 60-minute flow."""

    scenario: str
    started_at: datetime
    ended_at: datetime
    milestones: tuple[Milestone, ...]
    missed: tuple[str, ...]  # first-hour checklist items done after their checkpoint, or never
    severity: Severity  # chosen
    expected_severity: Severity  # the scenario's
    class_id: str
    expected_class: str
    why: str = ""
    timed_out: bool = False

    @property
    def on_time(self) -> int:
        return sum(m.on_time for m in self.milestones)

    @property
    def right_severity(self) -> bool:
        return self.severity == self.expected_severity

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "started_at": self.started_at.isoformat(),
                "ended_at": self.ended_at.isoformat(), "timed_out": self.timed_out,
                "milestones": [{"key": m.key, "label": m.label, "target": int(m.target.total_seconds()),
                                "after": None if m.after is None else int(m.after.total_seconds()), "note": m.note}
                               for m in self.milestones],
                "missed": list(self.missed), "severity": int(self.severity),
                "expected_severity": int(self.expected_severity), "class": self.class_id,
                "expected_class": self.expected_class, "why": self.why}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Readiness:
        return cls(scenario=data["scenario"], started_at=datetime.fromisoformat(data["started_at"]),
                   ended_at=datetime.fromisoformat(data["ended_at"]), timed_out=data.get("timed_out", False),
                   milestones=tuple(Milestone(m["key"], m["label"], timedelta(seconds=m["target"]),
                                              None if m["after"] is None else timedelta(seconds=m["after"]), m["note"])
                                    for m in data["milestones"]),
                   missed=tuple(data["missed"]), severity=Severity(data["severity"]),
                   expected_severity=Severity(data["expected_severity"]), class_id=data["class"],
                   expected_class=data["expected_class"], why=data.get("why", ""))


def phase_ends(offsets: Sequence[timedelta]) -> list[timedelta]:
    """When each phase of the flow should be done: the first-hour checkpoints (10, 20, 40, 60 minutes by
    default), one per phase; a deployment with fewer checkpoints gives the later phases its last one."""
    return [offsets[min(i, len(offsets) - 1)] for i in range(len(PHASES))]


def readiness(scenario: Scenario, observed: Observed, *, started_at: datetime, ended_at: datetime,
              offsets: Sequence[timedelta], timed_out: bool = False) -> Readiness:
    """Score a drill: each milestone's time from the start against the end of its phase, the checklist items
    that came after their checkpoint, and the severity chosen against the scenario's."""
    ends = phase_ends(offsets)

    def after(moment: datetime | None) -> timedelta | None:
        return None if moment is None or moment > ended_at else max(moment - started_at, timedelta())

    right = observed.class_id == scenario.class_id and observed.severity == scenario.severity
    classified = max(observed.classified_at, observed.severity_set_at) if observed.classified_at else None
    wrong = [f"class `{observed.class_id}`, the scenario's is `{scenario.class_id}`"] \
        if observed.class_id != scenario.class_id else []
    if observed.severity != scenario.severity:
        wrong.append(f"{observed.severity.label}, the scenario's is {scenario.severity.label}")
    reached = {
        "captain": (after(observed.captain_at), "" if observed.captain_at else "nobody took the captain role"),
        "classify": (after(classified) if right else None,
                     "chose " + " and ".join(wrong) if wrong else "" if classified else "never classified"),
        "firebreak": (after(observed.first_firebreak_at), ""),
        "snapshot": (after(observed.first_snapshot_at), ""),
        "update": (after(observed.first_update_at), ""),
        "notice": (after(observed.first_product_draft_at), ""),
    }
    milestones = tuple(Milestone(key, label, ends[phase], *reached[key]) for key, label, phase in MILESTONES)
    done = {"classify": after(observed.classified_at), "contain": after(observed.contained_at),
            "evidence": after(observed.first_snapshot_at), "communicate": after(observed.first_update_at)}
    missed = tuple(text for (key, text), end in zip(PHASES, ends, strict=True)
                   if done[key] is None or done[key] > end)
    return Readiness(scenario=scenario.name, started_at=started_at, ended_at=ended_at, milestones=milestones,
                     missed=missed, severity=observed.severity, expected_severity=scenario.severity,
                     class_id=observed.class_id, expected_class=scenario.class_id, why=scenario.why,
                     timed_out=timed_out)


def compared(current: Readiness, previous: Readiness) -> list[str]:
    """How this run moved against an earlier one of the same scenario, milestone by milestone:
    `time to firebreak 14m → 6m`."""
    lines = []
    for now in current.milestones:
        before = next((m for m in previous.milestones if m.key == now.key), None)
        if before is None or (before.after is None and now.after is None):
            continue
        lines.append(f"{now.label.lower()} {_shown(before.after)} → {_shown(now.after)}")
    lines.append(f"on time {sum(m.on_time for m in previous.milestones)} → {current.on_time}"
                 f" of {len(current.milestones)}")
    return lines


def _shown(after: timedelta | None) -> str:
    return "never" if after is None else span(after)


MAX_INJECTS = 40
MAX_ALARM = 2000
MAX_INJECT = 1000


def check_script(*, injects: Sequence[Inject], time_limit: timedelta, signals: Sequence[ScriptedSignal] = ()) -> None:
    """A script's timing rules: injects inside the time limit, in order, at most MAX_INJECTS; each scripted
    signal's values likewise, at most MAX_SIGNALS of them."""
    if time_limit <= timedelta():
        raise ValueError("time_limit must be longer than nothing")
    if len(injects) > MAX_INJECTS:
        raise ValueError(f"{len(injects)} injects; keep it to {MAX_INJECTS}")
    for number, inject in enumerate(injects, start=1):
        if inject.at >= time_limit:
            raise ValueError(f"inject {number} at +{span(inject.at)} is past the end of the drill"
                             f" (time_limit {span(time_limit)})")
    if list(injects) != sorted(injects, key=lambda i: i.at):
        raise ValueError("the injects must come in the order they are posted")
    if len(signals) > MAX_SIGNALS:
        raise ValueError(f"{len(signals)} scripted signals; keep it to {MAX_SIGNALS}")
    for scripted in signals:
        scripted.check(time_limit)

