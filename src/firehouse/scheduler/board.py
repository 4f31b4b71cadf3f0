"""The status board's scheduler side: the leader, one job per incident, and the leader's upkeep.

The database is the source of truth. Each open incident stores when its next update is due; one
APScheduler job per incident is placed at the moment the use case names (`usecases.duties`), and rebuilt
at start-up, so a restart neither loses nor repeats a prompt. The job asks the use case to do what is due;
the use case records the posts it owes in the same transaction, and they go out through the outbox. The
leader's round also runs its upkeep (`scheduler.upkeep`): the outbox's retries and pruning, and follow-up
reminders, each on its own interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger

from firehouse.domain.model import Incident
from firehouse.logs import bound
from firehouse.scheduler.leadership import Leadership
from firehouse.scheduler.upkeep import (
    Chore,
    deliveries_prune,
    deliveries_sweep,
    follow_up_reminders,
    outbox_prune,
    outbox_sweep,
    pages_refresh,
    status_recovery,
)
from firehouse.slack.outbox import Outbox
from firehouse.store import UnitOfWork
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.drills import Drills
from firehouse.usecases.duties import Duties
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.paging import Paging
from firehouse.usecases.signals import Signals
from firehouse.usecases.statuspage import StatusDesk

log = logging.getLogger(__name__)

CLOCK_HORIZON = timedelta(days=45)  # the longest regulatory window (a month after 72 h) with room to spare
LEAD_CHECK = timedelta(seconds=5)  # how often the leader re-reads the database, and others try to lead


class StatusBoard:
    """Places each incident's job at the moment it next owes something, and runs the leader's upkeep."""

    def __init__(self, *, service: IncidentService, outbox: Outbox, scheduler: BaseScheduler) -> None:
        self.service = service
        self.outbox = outbox
        self.scheduler = scheduler
        self.settings = service.settings
        self.clock: Callable[[], datetime] = service.clock
        self.duties = Duties(service=service)
        self.leadership = Leadership(service.engine)
        self.leading = False
        # Called on every round the leader makes, with whether this is the only process, just started: e.g.
        # finishing firebreaks a restart interrupted.
        self.on_lead: list[Callable[[bool], object]] = []
        # The leader's upkeep, in the order it runs after the incidents' jobs are in step.
        self.chores: list[Chore] = [outbox_sweep(outbox), outbox_prune(outbox, self.settings)]
        self._placing = threading.Lock()  # one incident's job placed at a time, from the newest state
        self._running: set[int] = set()  # the incidents whose job runs now, and places itself when done
        service.context.after_save.append(self.schedule)

    def follow(self, afteraction: AfterAction) -> None:
        """Remind overdue follow-ups and unlocked incidents, as the leader, at the moment the store says."""
        chore = follow_up_reminders(afteraction)
        self.chores.insert(0, chore)
        self.service.context.after_save.append(lambda incident: chore.look_again())

    def practise(self, drills: Drills) -> None:
        """Post each drill's injects on time and end it at its time limit, through the incident's own job."""
        self.duties.drills = drills

    def verify(self, signals: Signals) -> None:
        """Verify firebreaks against the watched signals, give the stakeholders their lines, and tell the captain
        when monitoring settled, through the incident's own job."""
        self.duties.signals = signals

    def page(self, paging: Paging) -> None:
        """Retry pages and events that failed, and keep held Alertmanager pages alive, as the leader."""
        self.chores += [deliveries_sweep(paging.deliveries), deliveries_prune(paging.deliveries, self.settings),
                        pages_refresh(paging)]

    def publish(self, desk: StatusDesk) -> None:
        """Record Statuspage's answers a crash left unrecorded, as the leader."""
        if desk.settings.statuspage:
            self.chores.append(status_recovery(desk))

    # --- start-up and leading --------------------------------------------------------------------

    def start(self) -> None:
        """Run the scheduler; whichever replica leads derives every incident's job from the database."""
        self.scheduler.add_job(self.lead, "interval", seconds=LEAD_CHECK.total_seconds(), id="lead",
                               coalesce=True, max_instances=1, next_run_time=self.clock())
        self.scheduler.start()

    def lead(self) -> None:
        """Take or keep the lead: the leader keeps the jobs in step with the database (other replicas change
        it too) and does its upkeep. A replica that is not the leader runs no jobs."""
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
        if first:  # a restart is often how someone who fixed a channel or the token says so: try them all now
            self.outbox.retry_blocked()
        for each in self.on_lead:
            each(first and not self.leadership.shared)
        if first or self.leadership.shared:
            self._sync(self._followed())
        for chore in self.chores:
            chore.run(self.clock(), taking_lead=first)

    def stop(self) -> None:
        """Stop running jobs and write down what was sent."""
        self.scheduler.shutdown(wait=False)
        self.outbox.confirm()

    # --- the incidents' jobs ---------------------------------------------------------------------

    def _followed(self) -> list[Incident]:
        """Every incident that may still owe something: the open ones, and the recent ones' regulatory clocks."""
        with UnitOfWork(self.service.engine) as uow:
            return [*uow.incidents.open_incidents(), *uow.incidents.declared_since(self.clock() - CLOCK_HORIZON)]

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
        """(Re)place the incident's job at the moment it next owes something, or drop it when nothing is left.
        Only the leader keeps jobs.

        A change and a running job may both reschedule one incident at once, each from what it read; so the
        incident is read again under one lock, and the last to place the job places it from the newest state
        (a job that ran from a copy read before a change must not undo that change's schedule)."""
        self._place(incident.id)

    def _place(self, incident_id: int) -> None:
        if not self.leading:
            return
        with self._placing:
            if incident_id in self._running:
                return  # its job places it once it finishes: the scheduler skips a job that is still running
            with UnitOfWork(self.service.engine) as uow:
                incident = uow.incidents.get(incident_id)
            job_id = f"incident:{incident_id}"
            when = self.next_run(incident) if incident else None
            job = self.scheduler.get_job(job_id)
            if when is None:
                if job:
                    self._drop(job_id)
                return
            if job and getattr(job, "next_run_time", None) == when:  # a job of a scheduler not yet started has none
                return
            self.scheduler.add_job(self.run, DateTrigger(run_date=when), args=[incident.id], id=job_id,
                                   replace_existing=True, misfire_grace_time=None, coalesce=True)

    def next_run(self, incident: Incident) -> datetime | None:
        """When the incident's job runs next: when the use case says it next owes something."""
        return self.duties.next_run(incident)

    def run(self, incident_id: int) -> None:
        """The incident's job: the use case does what is due, then the job is placed at the next moment (not
        while it runs: its sends may outlast that moment, and the scheduler would skip it then, for good)."""
        with self._placing:
            self._running.add(incident_id)
        try:
            with bound(incident=incident_id):  # this job's log lines name the incident, and the next job's not
                self.duties.run(incident_id)
        finally:  # placed again even when the job failed: a change made meanwhile waited for this
            with self._placing:
                self._running.discard(incident_id)
            self._place(incident_id)
