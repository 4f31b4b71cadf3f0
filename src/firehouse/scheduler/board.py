"""The status board's scheduler side: the leader, one job per incident, and the tick.

The database is the source of truth. Each open incident stores when its next update is due; one
APScheduler job per incident is derived from that and rebuilt at start-up, so a restart neither loses
nor repeats a prompt. A tick decides what is due and records the posts it owes in one transaction;
they go out through the outbox.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger

from firehouse.domain.board import next_checkpoint, next_step, open_phase_items
from firehouse.domain.events import FIREHOUSE, Event
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.times import duration
from firehouse.errors import FirehouseError
from firehouse.logs import bound
from firehouse.scheduler.leadership import Leadership
from firehouse.slack.outbox import Outbox
from firehouse.store import UnitOfWork
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.drills import Drills
from firehouse.usecases.effects import Checklist, DeadlineReminder, Prompt, Reminder, StatusUpdate
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.ports import Outbound, Post

log = logging.getLogger(__name__)

CLOCK_HORIZON = timedelta(days=45)  # the longest regulatory window (a month after 72 h) with room to spare
LEAD_CHECK = timedelta(seconds=5)  # how often the leader re-reads the database, and others try to lead
OUTBOX_SWEEP = timedelta(seconds=10)  # how often the leader retries posts that failed
FOLLOW_UP_CHECK = timedelta(minutes=15)  # how often the leader looks at follow-ups and locks at the least
OUTBOX_PRUNE = timedelta(hours=1)  # how often the leader deletes sent posts older than `outbox_retention`


class StatusBoard:
    """Runs each incident's job when its prompt, reminder, checklist or deadline reminder is due."""

    def __init__(self, *, service: IncidentService, outbound: Outbound, outbox: Outbox,
                 scheduler: BaseScheduler) -> None:
        self.service = service
        self.outbound = outbound
        self.outbox = outbox
        self.scheduler = scheduler
        self.settings = service.settings
        self.clock: Callable[[], datetime] = service.clock
        self.leadership = Leadership(service.engine)
        self.leading = False
        self._next_sweep = self.clock()
        self._next_prune = self.clock()
        # Called on every round the leader makes, with whether this is the only process, just started: e.g.
        # finishing firebreaks a restart interrupted.
        self.on_lead: list[Callable[[bool], object]] = []
        self._placing = threading.Lock()  # one incident's job placed at a time, from the newest state
        self.afteraction: AfterAction | None = None
        self.drills: Drills | None = None
        self._followups_due: datetime | None = None  # when the follow-up reminders next have work; None: find out
        service.after_save.append(self.schedule)

    def follow(self, afteraction: AfterAction) -> None:
        """Remind overdue follow-ups and unlocked incidents, as the leader, at the moment the store says."""
        self.afteraction = afteraction
        self.service.after_save.append(lambda incident: setattr(self, "_followups_due", None))

    def practise(self, drills: Drills) -> None:
        """Post each drill's injects on time and end it at its time limit, through the incident's own job."""
        self.drills = drills

    # --- start-up and scheduling ----------------------------------------------------------------

    def start(self) -> None:
        """Run the scheduler; whichever replica leads derives every incident's job from the database."""
        self.scheduler.add_job(self.lead, "interval", seconds=LEAD_CHECK.total_seconds(), id="lead",
                               coalesce=True, max_instances=1, next_run_time=self.clock())
        self.scheduler.start()

    def lead(self) -> None:
        """Take or keep the lead: the leader sends what the outbox still holds and keeps the jobs in step
        with the database (other replicas change it too). A replica that is not the leader runs no jobs."""
        with bound():  # a round about no one incident: what it learns on the way is not left behind
            self._lead()

    def _lead(self) -> None:
        self.outbox.confirm()  # every replica writes down what it sent since its last transaction
        if not self.leadership.held():
            if self.leading:
                log.warning("not leading the scheduler any more; dropping its jobs")
                self.leading = False
                self._sync([])
            return
        first = not self.leading
        self.leading = True
        if first and not self.leadership.shared:
            self.outbox.release_claims()  # the only process: whatever held them died with the last run
        for each in self.on_lead:
            each(first and not self.leadership.shared)
        if self.afteraction and (self._followups_due is None or self.clock() >= self._followups_due):
            self.afteraction.remind()  # idempotent: it reminds only what the store says is due
            # Capped: another replica's changes do not reach this one's cache, so look again anyway.
            later = self.clock() + FOLLOW_UP_CHECK
            self._followups_due = min(self.afteraction.next_reminder() or later, later)
        if first or self.leadership.shared:
            with UnitOfWork(self.service.engine) as uow:
                followed = [*uow.incidents.open_incidents(),
                            *uow.incidents.declared_since(self.clock() - CLOCK_HORIZON)]
            self._sync(followed)
        if first or self.clock() >= self._next_sweep:
            self._next_sweep = self.clock() + OUTBOX_SWEEP
            self.outbox.sweep()
        if self.clock() >= self._next_prune:
            self._next_prune = self.clock() + OUTBOX_PRUNE
            self.outbox.prune(older_than=self.settings.outbox_retention)

    def stop(self) -> None:
        """Stop running jobs and write down what was sent."""
        self.scheduler.shutdown(wait=False)
        self.outbox.confirm()

    def _sync(self, incidents: list[Incident]) -> None:
        wanted = {f"incident:{i.id}": i for i in incidents}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("incident:") and job.id not in wanted:
                self._drop(job.id)
        for incident in wanted.values():
            self.schedule(incident)

    def _drop(self, job_id: str) -> None:
        try:
            self.scheduler.remove_job(job_id)
        except JobLookupError:
            pass  # it just ran its last time

    def schedule(self, incident: Incident) -> None:
        """(Re)place the incident's job at its next board step, checklist or deadline reminder, or drop it
        when none is left. Only the leader keeps jobs.

        A change and a running job may both reschedule one incident at once, each from what it read; so the
        incident is read again under one lock, and the last to place the job places it from the newest state
        (a job that ran from a copy read before a change must not undo that change's schedule)."""
        if not self.leading:
            return
        with self._placing:
            with UnitOfWork(self.service.engine) as uow:
                incident = uow.incidents.get(incident.id) or incident
            job_id = f"incident:{incident.id}"
            when = self.next_run(incident)
            job = self.scheduler.get_job(job_id)
            if when is None:
                if job:
                    self._drop(job_id)
                return
            if job and job.next_run_time == when:
                return
            self.scheduler.add_job(self.run, DateTrigger(run_date=when), args=[incident.id], id=job_id,
                                   replace_existing=True, misfire_grace_time=None, coalesce=True)

    def next_run(self, incident: Incident) -> datetime | None:
        # A drill resolved before its time limit is still scored at it.
        drill = self.drills.next_moment(incident) if incident.drill and self.drills else None
        if not incident.status.is_open:  # a regulator's clock keeps running after the incident is resolved
            moments = [incident.next_reminder(self.settings.regimes), drill] if incident.status is Status.RESOLVED \
                else []
            return min((m for m in moments if m), default=None)
        moments = [next_checkpoint(incident.declared_at, incident.checklist_step, self.settings.board.first_hour),
                   incident.next_reminder(self.settings.regimes), drill]
        interval = self.service.interval(incident)
        if interval and incident.next_update_due:
            moments.append(next_step(due=incident.next_update_due, interval=interval,
                                     prompted=incident.update_prompted, snoozed_until=incident.snoozed_until).at)
        return min((m for m in moments if m), default=None)

    # --- the job ---------------------------------------------------------------------------------

    def run(self, incident_id: int) -> None:
        """Do whatever is due for one incident, record what it owes Slack, send it, and reschedule."""
        with bound(incident=incident_id):  # this job's log lines name the incident, and the next job's not
            self._run(incident_id)

    def _run(self, incident_id: int) -> None:
        now = self.clock()
        with UnitOfWork(self.service.engine) as uow:
            incident = uow.incidents.get(incident_id)
            if incident is None:
                return
            events: list[Event] = []
            posts = self._deadline_reminders(incident, now, events)
            if incident.status.is_open:
                posts += self._board_step(uow, incident, now, events) + self._checklist(uow, incident, now)
                if incident.drill and self.drills:
                    posts += self.drills.due(uow, incident, now, events)
            uow.incidents.save(incident, events)
            owed = self.outbound.owe(uow, incident, posts)
            uow.commit()
        self.outbound.deliver(owed)
        if incident.drill and self.drills and self.drills.overdue(incident.id, now):
            self._end_drill(incident.id)
        self.schedule(incident)

    def _end_drill(self, incident_id: int) -> None:
        """The drill's time limit passed: score it and post the report."""
        try:
            ended = self.drills.end_by_time(incident_id)
        except FirehouseError as err:  # someone ended it a moment ago
            log.info("drill %s not ended by its time limit: %s", incident_id, err)
            return
        for problem in ended.problems:
            log.warning("drill %s ended, but: %s", incident_id, problem)

    def _board_step(self, uow: UnitOfWork, incident: Incident, now: datetime, events: list[Event]) -> list[Post]:
        interval = self.service.interval(incident)
        due = incident.next_update_due
        if not interval or not due:
            return []
        step = next_step(due=due, interval=interval, prompted=incident.update_prompted,
                         snoozed_until=incident.snoozed_until)
        if step.at > now:
            return []
        snooze = int(self.settings.board.snooze.total_seconds() // 60) or 1
        if step.kind == "prompt" and now < due:
            incident.prompted()
            return [Post("prompt", incident.channel_id, Prompt(incident.id, incident.captain, due, snooze), step.at)]
        missed = incident.update_missed(interval=interval, now=now, by=FIREHOUSE)
        events.append(missed)
        reminder = Reminder(incident.id, incident.captain, due, missed.next_due, missed.missed,
                            self._escalation(incident), snooze)
        posts = [Post("reminder", incident.channel_id, reminder, due)]
        if stakeholders := self.service.stakeholder_channel(incident):
            posts.append(Post("silence", stakeholders,
                              StatusUpdate(incident, None, missed.next_due, at=now,
                                           firebreaks=tuple(uow.incidents.firebreaks(incident.id))), due))
        return posts

    def _escalation(self, incident: Incident) -> tuple[str, ...]:
        """Who the reminder pulls in once too many updates were missed."""
        if incident.missed_updates < self.settings.board.missed_before_escalation:
            return ()
        if self.settings.board.escalate_to:
            return (f"<!subteam^{self.settings.board.escalate_to}>",)
        holders = [incident.roles.get(role) for role in ("comms", "scribe")]
        return tuple(f"<@{h}>" for h in dict.fromkeys(h for h in holders if h and h != incident.captain))

    def _checklist(self, uow: UnitOfWork, incident: Incident, now: datetime) -> list[Post]:
        offsets = self.settings.board.first_hour
        checkpoint = next_checkpoint(incident.declared_at, incident.checklist_step, offsets)
        if checkpoint is None or checkpoint > now:
            return []
        incident.checklist_passed(now, offsets)
        items = open_phase_items(
            classified=incident.classified_at is not None,
            contained=incident.contained_at is not None or incident.status is Status.MONITORING,
            evidence=uow.incidents.has_snapshot(incident.id),  # a real snapshot, nothing else
            updated=incident.last_update_at is not None,
        )
        if not items:
            return []
        elapsed = duration(incident.declared_at, incident.declared_at + offsets[incident.checklist_step - 1])
        return [Post("checklist", incident.channel_id, Checklist(incident.captain, elapsed, tuple(items)), checkpoint)]

    def _deadline_reminders(self, incident: Incident, now: datetime, events: list[Event]) -> list[Post]:
        """Remind the legal role holder at 50 %, 75 % and 90 % of each regulatory window and at expiry."""
        deadlines = {d.key: d for d in incident.open_deadlines(self.settings.regimes)}
        reminded = incident.reminders_due(self.settings.regimes, now)
        events += reminded
        return [
            Post("deadline", incident.channel_id,
                 DeadlineReminder(deadlines[r.key], r.point, incident.roles.get("legal"), incident.captain), now)
            for r in reminded
        ]
