"""Verify, don't hope: the live signals a war room watches, read from the metric sources.

Reading a signal is a range query against another system, so it never happens inside a transaction or on
the listener's path: the use case reads first, then decides through the pipeline. One range query per
watched signal serves a whole board tick (the stakeholders' line, the verification of a firebreak, the
settle check); a signal that cannot be read says so and never stops a post.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firehouse.commands.signals import StopWatching, WatchSignal
from firehouse.domain.drills import DrillStarted
from firehouse.domain.events import FIREHOUSE, ClassChanged, Event, IncidentDeclared, StatusChanged
from firehouse.domain.firebreaks import Firebreak, FirebreakRequested
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.permissions import Action
from firehouse.domain.signals import Reading, Signal, Standing, Unreadable, outside
from firehouse.domain.verification import FirebreakVerified, SignalsSettled, Verification, measure, settled, unmeasured
from firehouse.domain.watches import Origin, Watch, alert_signal, automatic
from firehouse.errors import InvalidChange, echo
from firehouse.store import UnitOfWork
from firehouse.usecases.effects import SignalNote
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Outcome, Target, change, war_room
from firehouse.usecases.ports import MetricSources, Post
from firehouse.usecases.readings import Reader, frozen

log = logging.getLogger(__name__)

GUARDED = (Status.CONTAINED, Status.MONITORING, Status.RESOLVED)  # moves that claim the signals came back
RETRY = timedelta(minutes=1)  # a verification the source did not answer is tried again after this
GIVE_UP = timedelta(minutes=30)  # …until this long after it was due: then it is recorded as not measured


@dataclass(frozen=True)
class Board:
    """What `/incident watch` shows: the configured signals, and what this war room watches."""

    incident: Incident
    configured: list[Signal]
    watched: list[Watch]


@dataclass(frozen=True)
class Plan:
    """What an incident's signals owe the status board: what it watches, when a verification is next due (or
    due again), and whether monitoring waits to settle."""

    watches: list[Watch]
    verify_at: datetime | None
    settling: bool

    def wants(self, now: datetime) -> bool:
        """Whether a tick at `now` reads the signals for themselves (the stakeholders' line aside)."""
        return self.settling or (self.verify_at is not None and self.verify_at <= now)


@dataclass
class Tick:
    """What one board tick read: each watched signal's reading (or why it could not be read)."""

    readings: dict[str, Reading | Unreadable] = field(default_factory=dict)
    window: timedelta = timedelta(minutes=5)

    def standings(self) -> list[Standing | Unreadable]:
        return [r.now(self.window) if isinstance(r, Reading) else r for r in self.readings.values()]

    def lines(self) -> tuple[str, ...]:
        """One line per watched signal, for a stakeholder update."""
        return tuple(s.describe() for s in self.standings())


class Signals:
    """Watching, reading, verifying and guarding with the live signals of an incident."""

    def __init__(self, *, service: IncidentService, sources: MetricSources) -> None:
        self.service = service
        self.ctx = service.context
        self.settings = service.settings
        self.reader = Reader(ctx=self.ctx, sources=sources)
        self._tried: dict[tuple[int, str], datetime] = {}  # verifications the source did not answer: when tried
        self.ctx.followers.append(self._follow)
        self.ctx.status_guards.append(self._guard)

    # --- what people ask ------------------------------------------------------------------------------

    def board(self, *, channel: str) -> Board:
        with self.ctx.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            watched = uow.signals.watches(incident.id)
        return Board(incident, list(self.settings.signals.values()), watched)

    def watch(self, command: WatchSignal, *, channel: str, by: str) -> tuple[Outcome, Reading | Unreadable]:
        """Start watching a configured signal (or one this war room watches already, an alert's own: its chart
        again) and read it for its chart. A query the source refuses starts nothing; a source that is down does
        not stop the watch."""
        with self.ctx.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            watched = {w.signal.name: w.signal for w in uow.signals.watches(incident.id)}
        signal = watched.get(command.name) or self._configured(command.name)
        self.ctx.permissions.require(incident, Action.WATCH, by)
        reading = self.reader.read(incident, signal, self.ctx.clock(), fresh=True)
        if isinstance(reading, Unreadable) and reading.refused:
            raise InvalidChange(f"{signal.label}: {echo(reading.reason, 400)}. Nothing is watched; fix the query in"
                                f" [signals.{signal.name}] (`firehouse doctor` runs it).")

        def decide(uow: UnitOfWork, target: Target[None]) -> list[Event]:
            if any(w.signal.name == signal.name for w in uow.signals.watches(target.incident.id)):
                return []
            return [self._start(uow, target.incident, signal, Origin.COMMAND, by=by)]

        return change(self.ctx, war_room(channel), by=by, needs=Action.WATCH, decide=decide), reading

    def stop(self, command: StopWatching, *, channel: str, by: str) -> Outcome:
        def decide(uow: UnitOfWork, target: Target[None]) -> list[Event]:
            watched = uow.signals.watches(target.incident.id)
            found = next((w for w in watched if w.signal.name == command.name), None)
            if found is None:
                names = ", ".join(f"`{w.signal.name}`" for w in watched) or "none"
                raise InvalidChange(f"This war room does not watch `{echo(command.name)}` (it watches: {names}).")
            event = found.stop(by=by, at=self.ctx.clock())
            uow.signals.save_watch(found)
            return [event]

        return change(self.ctx, war_room(channel), by=by, needs=Action.WATCH, decide=decide)

    def snapshot_fields(self, *, channel: str, by: str) -> dict[str, str]:
        """The range data of every watched signal, one snapshot field each (`signal.<name>`), for
        `/incident snapshot signals`; DomainError when nothing is watched or nothing could be read."""
        incident = self.service.incident_in(channel)
        self.ctx.permissions.require(incident, Action.SNAPSHOT, by)
        tick = self.tick(incident)
        if not tick.readings:
            raise InvalidChange("This war room watches no signal: start with `/incident watch <signal>`.")
        fields = {f"signal.{name[:33]}": json.dumps(frozen(reading), sort_keys=True)
                  for name, reading in tick.readings.items() if isinstance(reading, Reading)}
        if not fields:
            raise InvalidChange("No watched signal could be read, so nothing was frozen: "
                                + "; ".join(echo(r.describe(), 200) for r in tick.readings.values()))
        return fields

    # --- what the status board and the other use cases ask --------------------------------------------

    def tick(self, incident: Incident, *, now: datetime | None = None, active: bool = True, fresh: bool = False,
             watches: list[Watch] | None = None) -> Tick:
        """Read every signal the incident watches, once (shared with the other reads of this moment); every signal
        it ever watched, stopped ones too, unless `active`. A resolved incident's are read up to `settle` after it
        was resolved (a postmortem drafted weeks later charts the incident, not the weeks since)."""
        now = now or self.ctx.clock()
        if not incident.status.is_open and incident.resolved_at:
            now = min(now, incident.resolved_at + self.settings.watch.settle)
        if watches is None:
            with self.ctx.unit_of_work() as uow:
                watches = uow.signals.watches(incident.id, active=active)
        return Tick(self.reader.read_all(incident, [w.signal for w in watches], now, fresh=fresh),
                    self.settings.watch.window)

    def lines(self, incident: Incident) -> tuple[str, ...]:
        return self.tick(incident).lines()

    def due(self, uow: UnitOfWork, incident: Incident, tick: Tick, now: datetime) -> Decision[None]:
        """What the signals owe at `now`: each firebreak's verification once it is due, and in monitoring the
        captain told once every watched signal has settled within its baseline."""
        watched = uow.signals.watches(incident.id)
        events: list[Event] = []
        notes: list[str] = []
        for firebreak, watch, due_at in self._pending(uow, incident, watched, now):
            reading = tick.readings.get(watch.signal.name)
            key = (firebreak.id, watch.signal.name)
            if isinstance(reading, Reading):
                effect = measure(reading, firebreak=firebreak.name or firebreak.kind, took_effect=firebreak.executed_at,
                                 window=self.settings.watch.window)
            elif now - due_at < GIVE_UP:
                self._tried[key] = now
                continue
            else:
                effect = unmeasured(firebreak.name or firebreak.kind, watch.signal,
                                    reading.reason if reading else "the signal was not read")
            self._tried.pop(key, None)
            uow.signals.add_verification(Verification(
                incident_id=incident.id, firebreak_id=firebreak.id, signal=watch.signal.name, due_at=due_at,
                done_at=now, verdict=effect.verdict, text=effect.text, before=effect.before, after=effect.after))
            events.append(FirebreakVerified(at=now, by=FIREHOUSE, firebreak_id=firebreak.id, effect=effect))
            notes.append(effect.text)
        posts = [Post("verified", incident.channel_id, SignalNote("verified", tuple(notes)), now)] if notes else []
        if incident.status is Status.MONITORING and watched and not any(w.settled_at for w in watched):
            standings = tick.standings()
            entered = max((w.settle_from for w in watched if w.settle_from), default=None)
            if settled(standings, now=now, settle=self.settings.watch.settle, entered=entered):
                for watch in watched:
                    watch.settled_at = now
                    uow.signals.save_watch(watch)
                lines = tuple(s.describe() for s in standings)
                events.append(SignalsSettled(at=now, by=FIREHOUSE, settle=self.settings.watch.settle, standings=lines))
                posts.append(Post("settled", incident.channel_id, SignalNote("settled", lines, incident.captain), now))
        return Decision(events, posts)

    def plan(self, incident: Incident) -> Plan:
        """What the incident's signals owe, from one read of the store."""
        if not incident.status.is_open:
            return Plan([], None, False)
        with self.ctx.unit_of_work() as uow:
            watched = uow.signals.watches(incident.id)
            pending = self._pending(uow, incident, watched, None) if watched else []
        return Plan(watched, min((self._retry_at(f, w, due_at) for f, w, due_at in pending), default=None),
                    incident.status is Status.MONITORING and bool(watched) and not any(w.settled_at for w in watched))

    def show_chart(self, incident: Incident, reading: Reading, *, comment: str | None = None) -> list[str]:
        """A watched signal's chart in the war room, under it its standing (or what was verified)."""
        with self.ctx.unit_of_work() as uow:
            firebreaks = uow.evidence.firebreaks(incident.id)
        comment = comment or reading.now(self.settings.watch.window).headline()
        return self.ctx.outbound.show_signal_chart(incident, reading, firebreaks=firebreaks, comment=comment)

    def show_verified(self, outcome: Outcome, tick: Tick) -> None:
        """The chart of each signal a firebreak was just verified against, after the change committed."""
        for event in outcome.events:
            if isinstance(event, FirebreakVerified):
                reading = next((r for r in tick.readings.values()
                                if isinstance(r, Reading) and r.signal.label == event.effect.signal), None)
                if reading is not None:
                    for problem in self.show_chart(outcome.incident, reading, comment=event.effect.text):
                        log.warning("verification chart of incident %s: %s", outcome.incident.id, problem)

    def next_moment(self, plan: Plan, *, read_ahead: datetime | None = None) -> datetime | None:
        """The next moment the signals owe something: a verification due (or due again), the settle check, or
        `read_ahead` (reading them for a post due a little later), when any signal is watched."""
        if not plan.watches:
            return None
        moments = [plan.verify_at, self.ctx.clock() + self.settings.watch.window if plan.settling else None,
                   read_ahead]
        return min((m for m in moments if m), default=None)

    def for_alerts(self, uow: UnitOfWork, incident: Incident, alerts: Sequence) -> list[Event]:
        """The signals new alerts bring: the alert's own expression (from a Prometheus graph link), and the
        configured signals that name the alert, each watched once."""
        now = self.ctx.clock()
        watched = {w.signal.name for w in uow.signals.watches(incident.id)}
        found: list[tuple[Signal, Origin]] = []
        for alert in alerts:
            own = alert_signal(alert.name, alert.generator_url, self.settings.metric_sources)
            found += [(own, Origin.ALERT)] if own else []
            found += automatic(self.settings.signals.values(), alert=alert.name)
        events = []
        for signal, origin in found:
            if signal.name not in watched:
                watched.add(signal.name)
                events.append(self._start(uow, incident, signal, origin, by=FIREHOUSE, at=now))
        return events

    # --- what follows from other changes ---------------------------------------------------------------

    def _follow(self, uow: UnitOfWork, incident: Incident, events: Sequence[Event]) -> list[Event]:
        """Signals watched because of what just happened: the incident's class, a firebreak pulled, a drill's
        scripted signals; a move into monitoring starts the settle window afresh."""
        found: list[tuple[Signal, Origin]] = []
        configured = () if incident.drill else self.settings.signals.values()  # a drill watches its script only
        for event in events:
            match event:
                case IncidentDeclared() | ClassChanged():
                    found += automatic(configured, class_id=event.class_id)
                case FirebreakRequested() if event.name:
                    found += automatic(configured, firebreak=event.name)
                case DrillStarted():
                    run = uow.drills.of(incident.id)
                    found += [(s.signal, Origin.DRILL) for s in (run.scenario.signals if run else ())]
                case StatusChanged() if event.status is Status.MONITORING:  # the settle window starts afresh
                    for watch in uow.signals.watches(incident.id):
                        watch.settled_at, watch.settle_from = None, event.at
                        uow.signals.save_watch(watch)
        if not found:
            return []
        watched = {w.signal.name for w in uow.signals.watches(incident.id)}
        started = []
        for signal, origin in found:
            if signal.name not in watched:
                watched.add(signal.name)
                started.append(self._start(uow, incident, signal, origin, by=FIREHOUSE))
        return started

    def _guard(self, incident: Incident, status: Status) -> list[str]:
        """Moving to contained, monitoring or resolved: the watched signals still outside their baseline."""
        if status not in GUARDED:
            return []
        return [s.describe() for s in outside(self.tick(incident, fresh=True).standings())]

    # --- helpers ----------------------------------------------------------------------------------------

    def _start(self, uow: UnitOfWork, incident: Incident, signal: Signal, origin: Origin, *, by: str,
               at: datetime | None = None) -> Event:
        watch = uow.signals.add_watch(Watch(incident_id=incident.id, signal=signal, origin=origin, started_by=by,
                                            started_at=at or self.ctx.clock()))
        return watch.event()

    def _pending(self, uow: UnitOfWork, incident: Incident, watched: list[Watch],
                 now: datetime | None) -> list[tuple[Firebreak, Watch, datetime]]:
        """(firebreak, watch, due) for each firebreak that took effect and each watched signal it has not been
        measured against yet; only those due by `now`, unless `now` is None."""
        done = {(v.firebreak_id, v.signal) for v in uow.signals.verifications(incident.id)}
        pending = []
        for firebreak in uow.evidence.firebreaks(incident.id):
            if firebreak.executed_at is None:
                continue
            due_at = firebreak.executed_at + self.settings.watch.verify_after
            for watch in watched:
                if (firebreak.id, watch.signal.name) not in done and (now is None or due_at <= now):
                    pending.append((firebreak, watch, due_at))
        return pending

    def _retry_at(self, firebreak: Firebreak, watch: Watch, due_at: datetime) -> datetime:
        """When a verification is next tried: when due, or RETRY after the source last failed to answer."""
        tried = self._tried.get((firebreak.id, watch.signal.name))
        return max(due_at, tried + RETRY) if tried else due_at

    def _configured(self, name: str) -> Signal:
        if name not in self.settings.signals:
            known = ", ".join(f"`{n}`" for n in self.settings.signals) or "none is configured in [signals]"
            raise InvalidChange(f"There is no signal called `{echo(name)}` (configured: {known}).")
        return self.settings.signals[name]
