"""Contain before you theorize: pulling, lifting and recording firebreaks.

A pull is recorded as requested (with the warnings the person saw) before the executor is called, and
as executed or failed after, so a crash in between leaves a requested firebreak that `recover` retries
at start-up with the same idempotency key: never silently lost, never pulled twice on purpose.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from firehouse.commands.containment import LiftFirebreak, PullFirebreak, RecordFirebreak
from firehouse.config.integrations import FirebreakSettings
from firehouse.domain.drills import LIVE
from firehouse.domain.events import FIREHOUSE, Event
from firehouse.domain.firebreaks import Configured, Firebreak, State, guards, suggested, suggests
from firehouse.domain.model import Incident
from firehouse.domain.permissions import Action
from firehouse.domain.severity import Severity
from firehouse.errors import DomainError, InvalidChange, echo
from firehouse.store import UnitOfWork
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Outcome, Target, by_id, change, war_room, write
from firehouse.usecases.ports import ExecutorAnswer, Executors, FirebreakOrder

IN_FLIGHT = timedelta(minutes=2)  # a pull requested this recently is still being carried out


class Unconfirmed(DomainError):
    """A pull with warnings the person has not seen yet; nothing was done."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(" ".join(warnings))
        self.warnings = warnings


class DryRun:
    """A drill's executor, unless its scenario says its firebreaks run live: it answers what would have been
    done, and does nothing, so practice never flips a production flag."""

    def run(self, settings: FirebreakSettings, order: FirebreakOrder) -> ExecutorAnswer:
        return ExecutorAnswer(True, f"dry run for the drill: {settings.configured.executor} would {order.action}"
                                    f" {order.name} ({settings.configured.described}); nothing was changed")


@dataclass(frozen=True)
class Board:
    """What `/incident firebreak` shows: the configured firebreaks (suggested first), what this incident
    pulled, and the warnings a pull would carry."""

    incident: Incident
    configured: list[Configured]
    suggested: list[str]
    pulled: list[Firebreak]
    warnings: dict[str, list[str]]
    evidence: bool


class Containment:
    """Firebreaks of an incident, carried out by the configured executors."""

    def __init__(self, *, service: IncidentService, executors: Executors) -> None:
        self.service = service
        self.executors = executors
        self.settings = service.settings
        self.ctx = service.context
        self._pulling = threading.Lock()  # one check-and-request at a time, so a double press pulls once
        self._lifting: set[int | None] = set()  # firebreaks whose executor is being asked to lift them

    def board(self, *, channel: str) -> Board:
        with self.ctx.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            pulled = uow.evidence.firebreaks(incident.id)
            evidence = uow.evidence.has_snapshot(incident.id)
        ordered = suggested((s.configured for s in self.settings.firebreaks.values()), incident.cause)
        hints = [c.name for c in ordered if suggests(incident.cause, c)]
        return Board(incident, ordered, hints, pulled,
                     {c.name: self._guards(incident, c.kind, evidence) for c in ordered}, evidence)

    def pull(self, command: PullFirebreak, *, channel: str, by: str, confirmed: bool = False
             ) -> tuple[Firebreak, Outcome]:
        """Request the firebreak, have its executor carry it out, and record what it answered. Unless the
        person `confirmed` having seen the warnings (a confirmation dialog), warnings stop it first."""
        name, note = command.name, command.note
        settings = self._configured(name)

        def decide(uow: UnitOfWork, target: Target[None]) -> Decision[Firebreak]:
            incident, now = target.incident, self.ctx.clock()
            current = next((f for f in reversed(uow.evidence.firebreaks(incident.id)) if f.name == name
                            and f.state is not State.LIFTED), None)
            if current and current.state is State.REQUESTED and now - current.requested_at < IN_FLIGHT:
                raise InvalidChange(f"{echo(current.label, 200)} is being pulled right now (by <@{current.requested_by}>).")
            warnings = self._guards(incident, settings.configured.kind, uow.evidence.has_snapshot(incident.id))
            if warnings and not confirmed:
                raise Unconfirmed(warnings)
            if current:
                firebreak, requested = current, current.retry(by=by, at=now, note=note, warnings=warnings)
                uow.evidence.save_firebreak(firebreak)
            else:
                firebreak, requested = Firebreak.request(settings.configured, incident_id=incident.id, by=by, at=now,
                                                         note=note, warnings=warnings)
                uow.evidence.add_firebreak(firebreak)
            return Decision([requested], made=firebreak)

        with self._pulling:
            requested = change(self.ctx, war_room(channel), by=by, needs=Action.PULL_FIREBREAK, decide=decide,
                               publish=False)
        return requested.made, self._carry_out(requested.incident, requested.made, settings, action="pull", by=by,
                                               events=requested.events)

    def lift(self, command: LiftFirebreak, *, channel: str, by: str) -> tuple[Firebreak, Outcome]:
        """Undo a firebreak in force (by its name or its number); the executor turns it back. A second
        press while the executor works is refused, so it is lifted once."""
        which, note = command.which, command.note
        with self._pulling, self.ctx.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            self.ctx.permissions.require(incident, Action.LIFT_FIREBREAK, by)
            firebreak = self._in_force(uow.evidence.firebreaks(incident.id), which)
            if firebreak.id in self._lifting:
                raise InvalidChange(f"{echo(firebreak.label, 200)} is being lifted right now.")
            self._lifting.add(firebreak.id)
        try:
            return firebreak, self._lift(incident, firebreak, by=by, note=note)
        finally:
            self._lifting.discard(firebreak.id)

    def _lift(self, incident: Incident, firebreak: Firebreak, *, by: str, note: str) -> Outcome:
        settings = self.settings.firebreaks.get(firebreak.name or "")
        if settings is None:  # recorded by hand (or no longer configured): lifted by hand too
            return self._finish(incident, firebreak, lambda: firebreak.lift(
                by=by, at=self.ctx.clock(), answer="lifted by hand", note=note))
        answer = self._executors(incident).run(settings, self._order(incident, firebreak, "lift", by=by, note=note))
        if not answer.done:
            raise DomainError(f"{echo(firebreak.label, 200)} is still in force: the executor said {echo(answer.text, 500)}."
                              f" Try again, or lift it by hand and record it with `/incident log`.")
        return self._finish(incident, firebreak, lambda: firebreak.lift(
            by=by, at=self.ctx.clock(), answer=answer.text, note=note))

    def record(self, command: RecordFirebreak, *, channel: str, by: str) -> tuple[Firebreak, Outcome]:
        """A firebreak someone carried out by hand: recorded as in force."""
        def decide(uow: UnitOfWork, found: Target[None]) -> Decision[Firebreak]:
            firebreak, event = Firebreak.record(kind=command.kind, target=command.target, incident_id=found.incident.id,
                                                by=by, at=self.ctx.clock(), note=command.note)
            uow.evidence.add_firebreak(firebreak)
            return Decision([event], made=firebreak)

        outcome = change(self.ctx, war_room(channel), by=by, needs=Action.RECORD_FIREBREAK, decide=decide)
        return outcome.made, outcome

    def recover(self, *, everything: bool = False) -> list[Firebreak]:
        """Carry out pulls that were requested and never answered (a restart came in between) and say so in
        their war rooms. Only those requested over IN_FLIGHT ago, unless `everything` (the only process,
        just started: nothing else can be carrying them out)."""
        now = self.ctx.clock()

        def claim(uow: UnitOfWork) -> tuple[list[Firebreak], dict[int | None, Incident]]:
            stranded = [f for f in uow.evidence.requested_firebreaks()
                        if (everything or now - f.requested_at >= IN_FLIGHT) and f.name in self.settings.firebreaks]
            for firebreak in stranded:  # claim them: a pull right now sees them in flight
                firebreak.requested_at = now
                uow.evidence.save_firebreak(firebreak)
            return stranded, {f.id: uow.incidents.get(f.incident_id) for f in stranded}

        with self._pulling:
            stranded, incidents = write(self.ctx, claim)
        for firebreak in stranded:
            self._carry_out(incidents[firebreak.id], firebreak, self.settings.firebreaks[firebreak.name],
                            action="pull", by=FIREHOUSE, events=[], after="after a restart interrupted the pull")
        return stranded

    # --- helpers ----------------------------------------------------------------------------------

    def _carry_out(self, incident: Incident, firebreak: Firebreak, settings: FirebreakSettings, *, action: str,
                   by: str, events: list[Event], after: str = "") -> Outcome:
        answer = self._executors(incident).run(settings, self._order(incident, firebreak, action, by=by,
                                                                     note=firebreak.note))
        now = self.ctx.clock()
        text = f"{answer.text} ({after})" if after else answer.text
        outcome = self._finish(incident, firebreak, lambda: (
            firebreak.executed(at=now, answer=text, by=FIREHOUSE) if answer.done
            else firebreak.failed(at=now, answer=text, by=FIREHOUSE)))
        return Outcome(incident, [*events, *outcome.events], outcome.problems)

    def _finish(self, incident: Incident, firebreak: Firebreak, act: Callable[[], Event]) -> Outcome:
        """Record what the executor answered (or the lifting by hand) on the firebreak and the timeline."""
        def decide(uow: UnitOfWork, target: Target[None]) -> Event:
            event = act()
            uow.evidence.save_firebreak(firebreak)
            return event

        return change(self.ctx, by_id(incident.id), by=FIREHOUSE, needs=None, decide=decide)

    def _order(self, incident: Incident, firebreak: Firebreak, action: str, *, by: str, note: str) -> FirebreakOrder:
        return FirebreakOrder(
            action=action, idempotency_key=f"firehouse-firebreak-{firebreak.id}-{action}-{firebreak.attempts}",
            firebreak_id=firebreak.id or 0, name=firebreak.name or firebreak.kind, kind=firebreak.kind,
            target=firebreak.target, by=by, note=note, incident_id=incident.id or 0,
            incident_title="private incident" if incident.private else incident.title,
            severity=incident.severity.label, class_id=incident.class_id, war_room=incident.channel_id)

    def _executors(self, incident: Incident) -> Executors:
        """The configured executors; a drill's run dry unless its scenario says `firebreaks = "live"`."""
        if not incident.drill:
            return self.executors
        with self.ctx.unit_of_work() as uow:
            run = uow.drills.of(incident.id)
        return self.executors if run and run.scenario.firebreaks == LIVE else DryRun()

    def _guards(self, incident: Incident, kind: str, evidence: bool) -> list[str]:
        ai_act = incident.class_id in self.settings.regimes.get("eu_ai_act", ())
        return guards(kind=kind, evidence=evidence, sev1=incident.severity is Severity.SEV1, ai_act=ai_act)

    def _configured(self, name: str) -> FirebreakSettings:
        if name not in self.settings.firebreaks:
            known = ", ".join(self.settings.firebreaks) or "none is configured here"
            raise InvalidChange(f"There is no firebreak called `{echo(name)}` (configured: {known}). To record one"
                                " done by hand: `/incident firebreak record <kind> <target> [note]`.")
        return self.settings.firebreaks[name]

    @staticmethod
    def _in_force(firebreaks: list[Firebreak], which: str) -> Firebreak:
        number = which.removeprefix("#")
        for firebreak in reversed(firebreaks):
            if firebreak.state is State.EXECUTED and (firebreak.name == which or str(firebreak.id) == number):
                return firebreak
        in_force = ", ".join(f"#{f.id} {f.name or f.kind}" for f in firebreaks if f.state is State.EXECUTED)
        raise InvalidChange(f"No firebreak `{echo(which)}` is in force here"
                            + (f" (in force: {in_force})." if in_force else " (none is)."))

