"""Drills: start a practice incident from a scenario, post its injects on time, score it when it ends.

A drill is an incident like any other (captain, cadence, snapshots, firebreaks, notices, postmortem),
declared by Firehouse with `drill` set, so every layer knows to mark it and keep it out of real
channels, clocks and numbers. Its run (the frozen scenario, the injects posted, the report) is kept
beside it. What an incident owes at a moment (`usecases.duties`) asks `due` for the injects whose time came,
and ends the drill at its time limit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from firehouse.commands.drills import StartDrill
from firehouse.config.scenarios import Scenarios, load
from firehouse.domain.drills import ENDED, DrillRun, Observed, Scenario, readiness
from firehouse.domain.events import FIREHOUSE
from firehouse.domain.firebreaks import State
from firehouse.domain.model import Incident
from firehouse.domain.permissions import Action
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange, NotAWarRoom, echo
from firehouse.store import UnitOfWork
from firehouse.usecases.effects import DrillInject, DrillReport
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Load, Outcome, Target, change
from firehouse.usecases.ports import Post

NOT_A_DRILL = ("`/incident drill end` scores a drill, and this is a real incident's war room. Type it in the"
               " drill's channel (`drill-…`).")


@dataclass(frozen=True)
class Ended:
    """A drill that ended: its run with the report, the run of the same scenario before it, and what Slack
    refused on the way."""

    run: DrillRun
    previous: DrillRun | None
    incident: Incident
    problems: list[str]


class Drills:
    """The drills of one deployment: its scenarios, its runs, and their reports."""

    def __init__(self, *, service: IncidentService) -> None:
        self.service = service
        self.ctx = service.context
        self.settings = service.settings
        self._ending = threading.Lock()  # `drill end` and the time limit, in one process, one after the other

    def scenarios(self) -> Scenarios:
        """Read fresh each time: a scenario edited today is the one run today."""
        return load(self.settings.drills_dir, catalog=self.service.catalog)

    # --- starting ---------------------------------------------------------------------------------------

    def start(self, command: StartDrill, *, channel: str, by: str) -> tuple[DrillRun, Outcome]:
        """Open a drill war room for the command's scenario, with `by` as its facilitator, and sound its alarm."""
        self._not_in_a_war_room(channel)
        scenario = self.scenario(command.scenario)
        started: list[DrillRun] = []

        def record(uow: UnitOfWork, incident: Incident) -> Decision[None]:
            run, event = DrillRun.start(scenario, incident_id=incident.id, by=by, at=incident.declared_at)
            started.append(uow.drills.add(run))
            return Decision([event], [Post("inject", incident.channel_id, DrillInject(
                timedelta(), scenario.alarm, alarm=True), incident.declared_at)])

        # A drill opens as the alarm would: a SEV3 investigation of the default class, not yet classified, led
        # by its facilitator until someone takes the captain role. Its first signal is the alarm, now.
        outcome = self.service.declare(title=scenario.title, by=by, severity=Severity.SEV3, drill=True,
                                       provisional=True, detected_at=self.ctx.clock(), record=record)
        return started[0], outcome

    def scenario(self, name: str) -> Scenario:
        scenarios = self.scenarios()
        if name in scenarios.problems:
            raise InvalidChange(f"The scenario `{echo(name)}` cannot run: {echo(scenarios.problems[name], 500)}."
                                " Fix the file; `firehouse drills check` checks them all.")
        if name not in scenarios.found:
            known = ", ".join(f"`{n}`" for n in scenarios.found) or "none: add TOML files to drills/"
            raise InvalidChange(f"There is no scenario `{echo(name)}`. Scenarios: {known}.")
        return scenarios.found[name]

    def _not_in_a_war_room(self, channel: str) -> None:
        """Drills start from an ordinary channel: never inside another drill or a real incident's war room."""
        with self.ctx.unit_of_work() as uow:
            incident = uow.incidents.by_channel(channel)
        if incident is None:
            return
        if incident.drill:
            raise InvalidChange("This channel is already a drill's war room; one drill per channel. Finish this one"
                                " with `/incident drill end`, and start the next from another channel.")
        raise InvalidChange("This is a real incident's war room, so no drill starts here. Start drills from"
                            " another channel.")

    # --- while it runs: the scheduler's part ------------------------------------------------------------

    def due(self, uow: UnitOfWork, incident: Incident, now: datetime) -> Decision[None]:
        """The injects whose time came: their events, and the posts they owe the war room, for the caller's
        transaction."""
        run = uow.drills.of(incident.id)
        posted = run.due_injects(now, by=FIREHOUSE) if run else []
        if not posted:
            return Decision([])
        uow.drills.save(run)
        return Decision(list(posted), [Post("inject", incident.channel_id, DrillInject(p.offset, p.text),
                                            run.started_at + p.offset) for p in posted])

    def next_moment(self, incident: Incident) -> datetime | None:
        """When this drill next needs the scheduler: its next inject, else its time limit; once the room resolved
        it early, only its time limit (no inject is posted into a resolved incident)."""
        with self.ctx.unit_of_work() as uow:
            run = uow.drills.of(incident.id)
        if run is None or not run.running:
            return None
        return run.next_moment() if incident.status.is_open else run.ends_at

    def overdue(self, incident_id: int, now: datetime) -> bool:
        """Whether the drill's time limit has passed while it still runs."""
        with self.ctx.unit_of_work() as uow:
            run = uow.drills.of(incident_id)
        return bool(run and run.running and now >= run.ends_at)

    # --- ending and scoring -------------------------------------------------------------------------------

    def end(self, *, channel: str, by: str) -> Ended:
        """`/incident drill end`: score the drill the war room runs, close it, and post the report."""
        try:
            incident = self.service.incident_in(channel)
        except NotAWarRoom:
            raise InvalidChange("`/incident drill end` scores a drill: type it in the drill's channel (`drill-…`)."
                                " This channel is not one.") from None
        return self._end(incident.id, by=by)

    def end_by_time(self, incident_id: int) -> Ended:
        """The scheduler's end of a drill whose time limit passed."""
        return self._end(incident_id, by=FIREHOUSE, timed_out=True)

    def _end(self, incident_id: int, *, by: str, timed_out: bool = False) -> Ended:
        """Score the run, close the drill and record the report owed to its war room, in one transaction; the
        report then goes through the outbox (so a crash or a Slack outage delays it, never loses it), the chart
        after it."""
        def decide(uow: UnitOfWork, target: Target[DrillRun]) -> Decision[tuple[DrillRun, DrillRun | None]]:
            incident, run, now = target.incident, target.record, self.ctx.clock()
            report = readiness(run.scenario, self._observed(uow, incident), started_at=run.started_at,
                               ended_at=now, offsets=self.settings.board.first_hour, timed_out=timed_out)
            events = [run.end(report, by=by, at=now), incident.end_drill(by=by, at=now, timed_out=timed_out)]
            if not uow.drills.end(run):  # another replica ended it a moment ago
                raise InvalidChange(ENDED)
            previous = next((r for r in reversed(uow.drills.runs(scenario=run.scenario.name, ended=True))
                             if r.id != run.id and r.started_at < run.started_at), None)
            return Decision(events, [Post("drill-report", incident.channel_id, DrillReport(run, previous), now)],
                            made=(run, previous))

        with self._ending:
            ended = change(self.ctx, running_drill(incident_id), by=by, decide=decide, needs=lambda target: (
                None if by in (target.record.started_by, FIREHOUSE) else Action.END_DRILL))
        run, previous = ended.made
        problems = ended.problems + self.ctx.outbound.show_drill_chart(ended.incident, run=run, previous=previous)
        return Ended(run, previous, ended.incident, problems)

    @staticmethod
    def _observed(uow: UnitOfWork, incident: Incident) -> Observed:
        """What the record of the drill shows, for its score."""
        timeline = uow.incidents.timeline(incident.id)
        severity_set = [e.at for e in timeline if e.kind == "severity"]
        snapshots = [s.taken_at for s in uow.evidence.snapshots(incident.id)]
        in_force = [f.executed_at for f in uow.evidence.firebreaks(incident.id)
                    if f.executed_at and f.state in (State.EXECUTED, State.LIFTED)]
        drafts = [n.created_at for n in uow.notices.of(incident.id) if n.lane == "product"]
        return Observed(
            captain_at=incident.captain_at, classified_at=incident.classified_at,
            severity_set_at=severity_set[-1] if severity_set else incident.declared_at, class_id=incident.class_id,
            severity=incident.severity, first_snapshot_at=min(snapshots, default=None),
            first_firebreak_at=min(in_force, default=None),
            first_update_at=next((e.at for e in timeline if e.kind == "update"), None),
            first_product_draft_at=min(drafts, default=None), contained_at=incident.contained_at)


def running_drill(incident_id: int) -> Load[DrillRun]:
    """The drill incident `incident_id` runs, while it still runs."""
    def load(uow: UnitOfWork) -> Target[DrillRun]:
        incident = uow.incidents.get(incident_id)
        run = uow.drills.of(incident_id) if incident else None
        if run is None:
            raise InvalidChange(NOT_A_DRILL)
        if not run.running:
            raise InvalidChange(ENDED)
        return Target(incident, run)
    return load
