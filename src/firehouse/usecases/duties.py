"""What an incident owes at a given moment, and when it next owes something: the status board's decisions.

At each moment the scheduler names, one change through the pipeline decides everything due for one incident
(the captain's prompt, the missed-update reminder with its escalation and the stakeholders' "no new
information", the first-hour checklist, regulatory deadline reminders, a drill's injects) and records the
posts it owes in the same transaction. `next_run` answers when that will next be the case, so the scheduler
only places a job there.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from firehouse.domain.board import next_checkpoint, next_step, open_phase_items
from firehouse.domain.events import FIREHOUSE
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.times import duration
from firehouse.errors import FirehouseError, Missing
from firehouse.store import UnitOfWork
from firehouse.usecases.drills import Drills
from firehouse.usecases.effects import Checklist, DeadlineReminder, Prompt, Reminder, StatusUpdate
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Outcome, Target, by_id, change
from firehouse.usecases.ports import Post
from firehouse.usecases.signals import Signals, Tick

log = logging.getLogger(__name__)

PREFETCH = timedelta(seconds=10)  # the watched signals of a "no new information" are read this long before it


class Duties:
    """The status board's decisions for one incident at a time, each one change through the pipeline."""

    def __init__(self, *, service: IncidentService, drills: Drills | None = None,
                 signals: Signals | None = None) -> None:
        self.ctx = service.context
        self.settings = service.settings
        self.drills = drills
        self.signals = signals
        self._warmed: dict[int, datetime] = {}  # incident → the stakeholders' post its signals were read for

    def run(self, incident_id: int) -> Outcome[None] | None:
        """Do whatever is due for the incident now, record what it owes Slack and send it; end a drill whose
        time limit passed. None when the incident is gone."""
        now = self.ctx.clock()
        try:
            tick = self._read_signals(incident_id, now)
            outcome = change(self.ctx, by_id(incident_id), by=FIREHOUSE, needs=None, publish=False, tell=False,
                             decide=lambda uow, target: self._decide(uow, target, now, tick))
        except Missing:
            return None
        if self.signals:
            self.signals.show_verified(outcome, tick)
        if outcome.incident.drill and self.drills and self.drills.overdue(incident_id, now):
            self._end_drill(incident_id)
        return outcome

    def _read_signals(self, incident_id: int, now: datetime) -> Tick:
        """The watched signals, read once before the decision (never inside its transaction) when anything due
        needs them: the stakeholders' "no new information", a verification, the settle check. The run PREFETCH
        before a "no new information" reads them for it, so that post does not wait for the metric source."""
        if self.signals is None:
            return Tick()
        incident = self.ctx.read(by_id(incident_id)).incident
        plan = self.signals.plan(incident)
        if not plan.watches:
            return Tick()
        due = self._silence_at(incident)
        if due and due - PREFETCH <= now < due and self._warmed.get(incident_id) != due:
            self._warmed[incident_id] = due
            self.signals.tick(incident, now=now, watches=plan.watches)  # kept by the reader for the post at `due`
        if (due is not None and due <= now) or plan.wants(now):
            return self.signals.tick(incident, now=now, watches=plan.watches)
        return Tick()

    def _silence_at(self, incident: Incident) -> datetime | None:
        """When the stakeholders hear "no new information" unless an update comes first: when it is due."""
        if not (self.ctx.interval(incident) and incident.status.is_open and self.ctx.stakeholder_channel(incident)):
            return None
        return incident.next_update_due

    def next_run(self, incident: Incident) -> datetime | None:
        """The next moment this incident owes something: a board step, a checkpoint, a deadline reminder or a
        drill's inject or time limit; None when nothing is left."""
        # A drill resolved before its time limit is still scored at it.
        drill = self.drills.next_moment(incident) if incident.drill and self.drills else None
        if not incident.status.is_open:  # a regulator's clock keeps running after the incident is resolved
            moments = [incident.next_reminder(self.settings.regimes), drill] if incident.status is Status.RESOLVED \
                else []
            return min((m for m in moments if m), default=None)
        moments = [next_checkpoint(incident.declared_at, incident.checklist_step, self.settings.board.first_hour),
                   incident.next_reminder(self.settings.regimes), drill]
        if self.signals:  # with a signal watched, the next "no new information" is read for a little earlier
            due = self._silence_at(incident)
            ahead = due - PREFETCH if due and self._warmed.get(incident.id) != due else None
            moments.append(self.signals.next_moment(self.signals.plan(incident), read_ahead=ahead))
        interval = self.ctx.interval(incident)
        if interval and incident.next_update_due:
            moments.append(next_step(due=incident.next_update_due, interval=interval,
                                     prompted=incident.update_prompted, snoozed_until=incident.snoozed_until).at)
        return min((m for m in moments if m), default=None)

    # --- the decision ----------------------------------------------------------------------------------

    def _decide(self, uow: UnitOfWork, target: Target[None], now: datetime, tick: Tick) -> Decision[None]:
        """Everything due at `now`, in one decision: a regulator's clock runs on after the incident is resolved,
        the rest only while it is open."""
        incident = target.incident
        parts = [self._deadline_reminders(incident, now)]
        if incident.status.is_open:
            parts += [self._board_step(uow, incident, now, tick), self._checklist(uow, incident, now)]
            if incident.drill and self.drills:
                parts.append(self.drills.due(uow, incident, now))
            if self.signals:
                parts.append(self.signals.due(uow, incident, tick, now))
        return Decision([e for part in parts for e in part.events], [p for part in parts for p in part.posts])

    def _board_step(self, uow: UnitOfWork, incident: Incident, now: datetime, tick: Tick) -> Decision[None]:
        """The captain's prompt before an update is due; once it is missed, the reminder and the stakeholders'
        "no new information"."""
        interval = self.ctx.interval(incident)
        due = incident.next_update_due
        if not interval or not due:
            return Decision([])
        step = next_step(due=due, interval=interval, prompted=incident.update_prompted,
                         snoozed_until=incident.snoozed_until)
        if step.at > now:
            return Decision([])
        snooze = int(self.settings.board.snooze.total_seconds() // 60) or 1
        if step.kind == "prompt" and now < due:
            incident.prompted()
            return Decision([], [Post("prompt", incident.channel_id, Prompt(incident.id, incident.captain, due, snooze),
                                      step.at)])
        missed = incident.update_missed(interval=interval, now=now, by=FIREHOUSE)
        reminder = Reminder(incident.id, incident.captain, due, missed.next_due, missed.missed,
                            self._escalation(incident), snooze)
        posts = [Post("reminder", incident.channel_id, reminder, due)]
        if stakeholders := self.ctx.stakeholder_channel(incident):
            posts.append(Post("silence", stakeholders,
                              StatusUpdate(incident, None, missed.next_due, at=now,
                                           firebreaks=tuple(uow.evidence.firebreaks(incident.id)),
                                           signals=tick.lines()), due))
        return Decision([missed], posts)

    def _escalation(self, incident: Incident) -> tuple[str, ...]:
        """Who the reminder pulls in once too many updates were missed."""
        if incident.missed_updates < self.settings.board.missed_before_escalation:
            return ()
        if self.settings.board.escalate_to:
            return (f"<!subteam^{self.settings.board.escalate_to}>",)
        holders = [incident.roles.get(role) for role in ("comms", "scribe")]
        return tuple(f"<@{h}>" for h in dict.fromkeys(h for h in holders if h and h != incident.captain))

    def _checklist(self, uow: UnitOfWork, incident: Incident, now: datetime) -> Decision[None]:
        """At each first-hour checkpoint, what is still open from the first hour."""
        offsets = self.settings.board.first_hour
        checkpoint = next_checkpoint(incident.declared_at, incident.checklist_step, offsets)
        if checkpoint is None or checkpoint > now:
            return Decision([])
        incident.checklist_passed(now, offsets)
        items = open_phase_items(
            classified=incident.classified_at is not None,
            contained=incident.contained_at is not None or incident.status is Status.MONITORING,
            evidence=uow.evidence.has_snapshot(incident.id),  # a real snapshot, nothing else
            updated=incident.last_update_at is not None,
        )
        if not items:
            return Decision([])
        elapsed = duration(incident.declared_at, incident.declared_at + offsets[incident.checklist_step - 1])
        return Decision([], [Post("checklist", incident.channel_id, Checklist(incident.captain, elapsed, tuple(items)),
                                  checkpoint)])

    def _deadline_reminders(self, incident: Incident, now: datetime) -> Decision[None]:
        """Remind the legal role holder at 50 %, 75 % and 90 % of each regulatory window and at expiry."""
        deadlines = {d.key: d for d in incident.open_deadlines(self.settings.regimes)}
        reminded = incident.reminders_due(self.settings.regimes, now)
        return Decision(list(reminded), [
            Post("deadline", incident.channel_id,
                 DeadlineReminder(deadlines[r.key], r.point, incident.roles.get("legal"), incident.captain), now)
            for r in reminded
        ])

    def _end_drill(self, incident_id: int) -> None:
        """The drill's time limit passed: score it and post the report."""
        try:
            ended = self.drills.end_by_time(incident_id)
        except FirehouseError as err:  # someone ended it a moment ago
            log.info("drill %s not ended by its time limit: %s", incident_id, err)
            return
        for problem in ended.problems:
            log.warning("drill %s ended, but: %s", incident_id, problem)
