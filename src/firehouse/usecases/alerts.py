"""Alert intake: a delivery is stored before it is acknowledged, then processed off the request path.

Nothing lost, nothing doubled. `receive` commits the delivery before the intake answers 202. `drain` then
processes what is owed, oldest first and one at a time (a lock here, an advisory lock across PostgreSQL
replicas), so two deliveries of one group never open two war rooms. Processing one records the new
incident or the attachment, its alerts, its timeline entries, the posts it owes and the delivery's outcome
in one transaction: Slack down or a crash before that leaves the delivery unprocessed, and the next try
(the next delivery, the scheduler leader's next round, a restart) does it once. Until then the later
deliveries that share its group or one of its alerts wait behind it (`Line`), so a resolve never overtakes
its firing; other groups go on. One gap remains, the ordinary declare's: killed after the war room's
channel was created and before the transaction committed, the next try opens the war room again, under
a suffixed name.

A delivery goes one of four ways: it attaches to the open incident that knows its group key or one of its
fingerprints; it opens a SEV3 investigation (class, severity and captain from the label rules), unless
storm control says enough war rooms opened in the window, when it joins the storm's room; or, all resolved
and known nowhere, it is ignored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from firehouse.domain.alerts import (
    Alert,
    AlertGroup,
    AlertNoted,
    Changes,
    Delivery,
    Line,
    Placement,
    Triage,
    changes,
    noted,
    place,
    retry_after,
    storm_joined,
    storm_title,
    triage,
)
from firehouse.domain.events import FIREHOUSE, Event
from firehouse.domain.model import Incident
from firehouse.errors import DomainError
from firehouse.logs import bound, note
from firehouse.store import UnitOfWork
from firehouse.store.alerts import processing_lock
from firehouse.usecases.effects import AlertPost
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Target, by_id, change, write
from firehouse.usecases.ports import Post

log = logging.getLogger(__name__)

OPENED, ATTACHED, STORM, IGNORED, FAILED = "opened", "attached", "storm", "ignored", "failed"


class AlertIntake:
    """Stores deliveries and turns them into war rooms and timeline entries."""

    def __init__(self, *, service: IncidentService,
                 bring: Callable[[UnitOfWork, Incident, Sequence[Alert]], list[Event]] | None = None) -> None:
        self.service = service
        # The signals new alerts bring (their own expression, configured ones naming them), watched at once.
        self.bring = bring or (lambda uow, incident, alerts: [])
        self.ctx = service.context
        self.settings = service.settings.alerts
        self.clock: Callable[[], datetime] = service.clock
        self.on_outcome: list[Callable[[str, str], object]] = []  # told (source, outcome) per attempt
        self._processing = threading.Lock()

    def receive(self, group: AlertGroup) -> int:
        """Store a validated delivery; its id once it is durable."""
        return write(self.ctx, lambda uow: uow.alerts.add_delivery(group, at=self.clock()))

    def drain(self, *, keep_going: Callable[[], bool] = lambda: True) -> int:
        """Process every delivery that is due, in the order received, while `keep_going()`; how many were
        processed. One that fails, or waits out its retry, holds back the later ones of its group and its alerts."""
        done, tried = 0, set()
        with self._processing, processing_lock(self.service.engine):
            while keep_going():
                with self.ctx.unit_of_work() as uow:
                    waiting = uow.alerts.waiting()
                now, line, went = self.clock(), Line(), False
                for delivery in waiting:
                    if line.holds(delivery) or delivery.id in tried or not delivery.due(now):
                        line.hold(delivery)
                        continue
                    if not keep_going():
                        return done
                    tried.add(delivery.id)
                    went = True
                    outcome = self._attempt(delivery.id)
                    if outcome == FAILED:
                        line.hold(delivery)
                    elif outcome:
                        done += 1
                if not went:
                    return done
        return done

    def _attempt(self, delivery_id: int) -> str | None:
        """Process one delivery: its outcome, FAILED when it waits for a later try (Slack down, a refused captain),
        None when it was done before."""
        with bound():
            try:
                source, outcome = self.process(delivery_id)
            except Exception as err:  # nothing was written: the delivery waits, and the next try starts afresh
                self._failed(delivery_id, err)
                return FAILED
        if outcome:
            self._tell(source, outcome)
        return outcome

    def process(self, delivery_id: int) -> tuple[str, str | None]:
        """Open, attach, join the storm or ignore; (source, outcome), the outcome None when it was done before."""
        now = self.clock()
        with self.ctx.unit_of_work() as uow:  # deliveries are processed one at a time (see `drain`)
            delivery = uow.alerts.unprocessed(delivery_id)
            if delivery is None:
                return "", None
            group = delivery.group
            incident_id = uow.alerts.incident_of(group)
            storm = uow.alerts.open_storm()
            placement = place(opened_in_window=uow.alerts.rooms_opened_since(now - self.settings.storm_window),
                              limit=self.settings.storm_limit, storm_open=storm is not None)
        if incident_id is None and not group.firing:
            def ignore(uow: UnitOfWork) -> None:
                if uow.alerts.unprocessed(delivery_id):  # looked at again where it is written
                    uow.alerts.processed(delivery_id, at=now, outcome=IGNORED, incident_id=None)

            write(self.ctx, ignore)
            return group.source, IGNORED
        if incident_id is not None:
            return group.source, self._attach(delivery, incident_id, outcome=ATTACHED)
        if placement is Placement.STORM_JOIN:
            return group.source, self._attach(delivery, storm, outcome=STORM, joined=True)
        return group.source, self._open(delivery, storm=placement is Placement.STORM_OPEN)

    # --- the ways a delivery goes -------------------------------------------------------------------------

    def _open(self, delivery: Delivery, *, storm: bool) -> str:
        """A war room for the group (or, as a storm begins, the storm's), its alerts as the first entries."""
        group, now = delivery.group, self.clock()
        chosen = self._triage(group, storm=storm)
        captain, standing_in = self._captain(chosen)
        entries = [storm_joined(group, at=delivery.received_at)] if storm else []
        entries += noted(group, Changes(new=group.firing, resolved=tuple(a for a in group.alerts if not a.firing)),
                         at=delivery.received_at)
        if standing_in:
            entries.append(standing_in)
        outcome = STORM if storm else OPENED

        def recorded(uow: UnitOfWork, incident: Incident) -> Decision[None]:
            uow.alerts.remember(incident.id, group, group.alerts, at=delivery.received_at)
            uow.alerts.add_room(incident.id, at=now, storm=storm)
            uow.alerts.processed(delivery.id, at=now, outcome=outcome, incident_id=incident.id)
            brought = [] if storm else self.bring(uow, incident, group.firing)
            post = Post("alert", incident.channel_id, AlertPost(group.source, "storm" if storm else "opened",
                                                                group.alerts, group.group_key, chosen.rule), now)
            return Decision([*entries, *brought], [post])

        title = storm_title(limit=self.settings.storm_limit, window=self.settings.storm_window) if storm \
            else group.title
        declared = self.service.declare(title=title, by=FIREHOUSE, severity=chosen.severity, class_id=chosen.class_id,
                                        captain=captain, provisional=True, detected_at=group.detected_at(now),
                                        record=recorded)
        note(incident=declared.incident.id)
        for problem in declared.problems:
            log.warning("alert war room %s: %s", declared.incident.id, problem)
        log.info("alert group from %s opened incident %s (%s)", group.source, declared.incident.id, outcome)
        return outcome

    def _attach(self, delivery: Delivery, incident_id: int, *, outcome: str, joined: bool = False) -> str:
        """What is new in the group goes on the incident's timeline and into its war room; a repeat of what it
        knows changes nothing there."""
        group, now, at = delivery.group, self.clock(), delivery.received_at
        note(incident=incident_id)

        def decide(uow: UnitOfWork, target: Target[None]) -> Decision[Changes]:
            incident = target.incident
            found = changes(group, uow.alerts.known(incident_id, group.source))
            entries: list[AlertNoted] = [storm_joined(group, at=at)] if joined else []
            entries += noted(group, found, at=at)
            uow.alerts.remember(incident_id, group, group.alerts, at=at)
            posts = []
            if found.new or found.again:
                posts.append(Post("alert", incident.channel_id, AlertPost(
                    group.source, "joined", found.new + found.again, group.group_key), now))
            if found.resolved:
                posts.append(Post("alert", incident.channel_id, AlertPost(group.source, "resolved", found.resolved,
                                                                          group.group_key), now))
            uow.alerts.processed(delivery.id, at=now, outcome=outcome, incident_id=incident_id)
            brought = [] if joined else self.bring(uow, incident, found.new)
            return Decision([*entries, *brought], posts, made=found)

        found = change(self.ctx, by_id(incident_id), by=FIREHOUSE, needs=None, decide=decide, publish=False).made
        log.info("alert group from %s attached to incident %s (%s new, %s resolved)", group.source, incident_id,
                 len(found.new + found.again), len(found.resolved))
        return outcome

    # --- helpers ----------------------------------------------------------------------------------------

    def _triage(self, group: AlertGroup, *, storm: bool) -> Triage:
        """The rules decide a group's room; a storm's room, shared by many groups, takes the defaults."""
        defaults = dict(class_id=self.settings.class_id, severity=self.settings.severity,
                        captain=self.settings.captain or "")
        return Triage(**defaults) if storm else triage(group.firing, self.settings.rules, **defaults)

    def _captain(self, chosen: Triage) -> tuple[str, AlertNoted | None]:
        """The rule's captain, or the default captain standing in (and a timeline line saying why) when Slack
        says the rule's is no one who can answer. A default captain who cannot answer fails the delivery."""
        default = self.settings.captain or ""
        if chosen.captain == default:
            return default, None
        try:
            self.ctx.require_person(chosen.captain)
        except DomainError as refused:
            return default, AlertNoted(self.clock(), f"Label rule {chosen.rule} names a captain who cannot take the"
                                                     f" role ({refused.reply}); the default captain <@{default}>"
                                                     " stands in.")
        return chosen.captain, None

    def _failed(self, delivery_id: int, err: Exception) -> None:
        first_line = str(err).splitlines()[0] if str(err) else ""
        reason = getattr(err, "reply", None) or f"{err.__class__.__name__}: {first_line}"
        try:
            def failed(uow: UnitOfWork) -> tuple[Delivery | None, int]:
                delivery = uow.alerts.unprocessed(delivery_id)
                retry_at = self.clock() + retry_after((delivery.attempts if delivery else 0) + 1)
                return delivery, uow.alerts.failed(delivery_id, error=reason, retry_at=retry_at)

            delivery, attempts = write(self.ctx, failed)
        except Exception as unrecorded:  # the database is away too: the delivery is still there, unprocessed
            log.warning("alert delivery %s failed (%s), and the failure could not be recorded: %s", delivery_id,
                        reason, unrecorded.__class__.__name__)
            return
        log.warning("alert delivery %s failed (attempt %s), tried again later: %s", delivery_id, attempts, reason)
        self._tell(delivery.group.source if delivery else "", FAILED)

    def _tell(self, source: str, outcome: str) -> None:
        for listener in self.on_outcome:
            listener(source, outcome)
