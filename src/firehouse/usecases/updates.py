"""What people do with the status board: post an update, snooze a prompt."""

from __future__ import annotations

from datetime import datetime

from firehouse.commands.timeline import PostUpdate
from firehouse.domain.events import Event
from firehouse.domain.permissions import Action
from firehouse.errors import DomainError, Missing
from firehouse.store import UnitOfWork
from firehouse.usecases.effects import StatusUpdate
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Outcome, Target, by_id, change, war_room
from firehouse.usecases.ports import Post
from firehouse.usecases.signals import Signals


class Updates:
    """Status updates and snoozes; the board's scheduler follows every change through `after_save`."""

    def __init__(self, service: IncidentService, *, signals: Signals | None = None) -> None:
        self.service = service
        self.signals = signals
        self.ctx = service.context
        self.settings = service.settings

    def post_update(self, command: PostUpdate, *, channel: str, by: str) -> Outcome:
        """Post a status update in the war room and to the stakeholders; it resets the clock. Deciding
        and recording both posts is one transaction. The watched signals are read first, outside it."""
        lines = self.signals.lines(self.service.incident_in(channel)) if self.signals else ()

        def decide(uow: UnitOfWork, target: Target[None]) -> Decision[None]:
            incident = target.incident
            event = incident.post_update(command.text, by=by, at=self.ctx.clock(),
                                         interval=self.ctx.interval(incident))
            firebreaks = tuple(uow.evidence.firebreaks(incident.id))
            stakeholders = self.ctx.stakeholder_channel(incident)
            owed = []
            if stakeholders != incident.channel_id:  # a drill's war room gets the stakeholders' copy only
                owed.append(Post("update", incident.channel_id, StatusUpdate(
                    incident, event, event.next_due, at=event.at, firebreaks=firebreaks, for_stakeholders=False,
                    signals=lines),
                    event.at))
            if stakeholders:
                owed.append(Post("update", stakeholders, StatusUpdate(
                    incident, event, event.next_due, at=event.at, firebreaks=firebreaks, signals=lines), event.at))
            return Decision([event], owed)

        return change(self.ctx, war_room(channel), by=by, needs=Action.UPDATE, decide=decide)

    def snooze(self, *, incident_id: int, by: str) -> datetime:
        """Ask again after the snooze (never past the update's due time); returns when."""
        until = self.ctx.clock() + self.settings.board.snooze

        def decide(uow: UnitOfWork, target: Target[None]) -> list[Event]:
            incident = target.incident
            if not incident.status.is_open or incident.next_update_due is None:
                raise DomainError("This incident has no update due any more.")
            incident.snooze(min(until, incident.next_update_due))
            return []

        try:
            outcome = change(self.ctx, by_id(incident_id), by=by, needs=None, decide=decide)
        except Missing:
            raise DomainError("This incident has no update due any more.") from None
        return outcome.incident.snoozed_until
