"""Publishing approved product notices to the status pages, and the public page built from what was published.

Publish is one change: the notice moves from `approved` to `publishing` (a compare-and-set, so two clicks at once
make one update), and the status update is recorded with it, exactly as it will go out. With Atlassian Statuspage
configured the update is owed to it through the deliveries (retried on 429 and 5xx, in order per incident) and
counts as published, on both pages, only once Statuspage took it; a refusal (401, 422, …) publishes nothing and
gives the notice back its Publish button; an answer a crash kept from being recorded is recorded by `recover`.
With Firehouse's own page alone, the update is published in the same change. Resolving an incident the status
page still shows open drafts the resolved notice for the captain: the page resolves only when that is approved and
published.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from firehouse.commands.notices import DraftNotice
from firehouse.domain.events import FIREHOUSE, Event, StatusChanged
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.domain.permissions import Action
from firehouse.domain.statuspage import (
    IMPACT,
    OPERATIONAL,
    PublicPage,
    PublicStatus,
    Publishing,
    StatusPublished,
    StatusUpdate,
    components,
    fingerprint,
    public_id,
    public_incidents,
    public_status,
    split_notice,
)
from firehouse.errors import InvalidChange, Missing
from firehouse.store import UnitOfWork
from firehouse.usecases.deliveries import STATUS, Answered, Deliveries, owe_status
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.notices import NoticeDesk, count_as_sent
from firehouse.usecases.pipeline import Decision, Outcome, Target, by_id, change, notice_no
from firehouse.usecases.ports import PartnerAnswer

log = logging.getLogger(__name__)

HISTORY = timedelta(days=90)  # how far back the public page shows resolved incidents
STRANDED = timedelta(minutes=1)  # an answer settled this long ago and still not recorded was lost
NO_PAGE = ("No status page is configured, so there is nowhere to publish. Set `[status_page.statuspage]` or"
           " `[status_page.firehouse]` in firehouse.toml, or send the notice yourself and *Mark sent*.")


class StatusDesk:
    """Publish, Statuspage's answers, the resolved notice owed, and the public page's contents."""

    def __init__(self, *, service: IncidentService, notices: NoticeDesk, deliveries: Deliveries) -> None:
        self.ctx = service.context
        self.settings = service.settings.status_page
        self.clock = service.clock
        self.notices = notices
        self.deliveries = deliveries
        self.changed: list[Callable[[], None]] = []  # told when the public page changed (it renders again)
        deliveries.on_answer.append(self._answered)
        self.ctx.settled.append(self._resolved)

    # --- publishing ---------------------------------------------------------------------------------------

    def publish(self, *, notice_id: int, by: str) -> Outcome[StatusUpdate | None]:
        """Publish the approved notice (a drill only shows what would have gone out)."""
        if not self.settings.enabled:
            raise InvalidChange(NO_PAGE)

        def decide(uow: UnitOfWork, target: Target[Notice]) -> Decision[StatusUpdate | None]:
            incident, notice = target.incident, target.record
            if incident.drill:
                if notice.status is not NoticeStatus.APPROVED:
                    raise InvalidChange("Only an approved notice can be published, even for practice.")
                shown = self._update(uow, incident, notice, by=by)  # what would have gone out; never stored
                return Decision([self._event(notice, incident, "previewed", by=by, said=(
                    f"impact {shown.impact}, the {shown.class_id} component {shown.component_state}"))])
            notice.publish(by=by, status=public_status(incident.status).value)
            uow.notices.save(notice, was=NoticeStatus.APPROVED)  # two clicks at once: the second is refused here
            update = uow.statuspage.add(self._update(uow, incident, notice, by=by))
            if self.settings.statuspage:
                owe_status(uow, update)
                event = self._event(notice, update, "publishing", by=by)
            else:  # Firehouse's own page alone: published now, in this change
                event = self._published(uow, incident, notice, update, said="", by=by)
            return Decision([event], made=update)

        outcome = change(self.ctx, notice_no(notice_id), by=by, needs=Action.PUBLISH_STATUS, decide=decide)
        self._after(outcome.incident, notice_id)
        return outcome

    def _update(self, uow: UnitOfWork, incident: Incident, notice: Notice, *, by: str) -> StatusUpdate:
        """The update as it goes out: the approved text, the status from the incident's, the component's state."""
        title, body = split_notice(notice.approved_text or notice.text, fallback=notice.title)
        status = public_status(incident.status)
        severity = f"sev{int(incident.severity)}"
        return StatusUpdate(
            incident_id=incident.id, notice_id=notice.id, title=title, body=body, status=status,
            fingerprint=fingerprint(title, body),
            public_id=public_id(incident.id, incident.channel_id, incident.declared_at),
            impact=IMPACT[incident.severity], class_id=incident.class_id,
            component_state=OPERATIONAL if status is PublicStatus.RESOLVED else self.settings.state(severity),
            requested_by=by, requested_at=self.clock())

    def _published(self, uow: UnitOfWork, incident: Incident, notice: Notice, update: StatusUpdate, *, said: str,
                   by: str, reference: str | None = None, link: str | None = None) -> StatusPublished:
        now = self.clock()
        update.state, update.published_at, update.said = Publishing.PUBLISHED, now, said
        update.statuspage_id, update.statuspage_link = reference, link
        uow.statuspage.save(update)
        notice.published(at=now)
        uow.notices.save(notice, was=NoticeStatus.PUBLISHING)
        count_as_sent(incident, notice)
        return self._event(notice, update, "published", by=by, link=link or self._own_link(update),
                           reference=reference)

    def _event(self, notice: Notice, about: StatusUpdate | Incident, what: str, *, by: str, said: str = "",
               link: str | None = None, reference: str | None = None) -> StatusPublished:
        """What happened to `notice` on its way out, as the update says (or the incident, before there is one)."""
        title, _ = split_notice(notice.approved_text or notice.text, fallback=notice.title)
        status = about.status if isinstance(about, StatusUpdate) else public_status(about.status)
        return StatusPublished(at=self.clock(), by=by, what=what, notice_id=notice.id, status=status, title=title,
                               said=said, link=link, reference=reference,
                               fingerprint=about.fingerprint if isinstance(about, StatusUpdate) else "")

    def _own_link(self, update: StatusUpdate) -> str | None:
        own = self.settings.firehouse
        return f"{own.url}/#{update.public_id}" if own else None

    def _after(self, incident: Incident, notice_id: int) -> None:
        """The notice's message shows where it stands; the lanes and the public page hear of it."""
        with self.ctx.unit_of_work() as uow:
            notice = uow.notices.get(notice_id)
        self.notices.show(notice, incident=incident)
        self.deliveries.wake()
        self._tell()

    def _tell(self) -> None:
        for each in self.changed:
            each()

    # --- Statuspage's answers -----------------------------------------------------------------------------

    def _answered(self, answered: Answered) -> None:
        """Statuspage took the update (it is published, on both pages), refused it for good (nothing is), or did
        not answer the first time (said once; the retries are quiet)."""
        if answered.destination != STATUS or (answered.outcome == "retrying" and answered.attempts > 1):
            return
        answer, outcome = answered.answer, answered.outcome
        notice_id: list[int] = []

        def decide(uow: UnitOfWork, target: Target[None]) -> list[Event]:
            update = uow.statuspage.get(answered.body["update"], lock=True)
            if update is None or update.state is not Publishing.PUBLISHING:
                return []  # already settled: the recovery sweep and the answer itself both came
            notice = uow.notices.get(update.notice_id)
            notice_id.append(notice.id)
            if outcome == "sent":
                return [self._published(uow, target.incident, notice, update, said=answer.text, by=FIREHOUSE,
                                        reference=answer.reference or update.statuspage_id,
                                        link=answer.link or update.statuspage_link)]
            if outcome == "retrying":
                return [self._event(notice, update, "retrying", by=FIREHOUSE, said=answer.text)]
            said = (f"Statuspage did not take it for a day (last: {answer.text})" if outcome == "given_up"
                    else answer.text)
            update.state, update.said = Publishing.FAILED, said
            uow.statuspage.save(update)
            notice.not_published()
            uow.notices.save(notice, was=NoticeStatus.PUBLISHING)
            return [self._event(notice, update, "refused", by=FIREHOUSE, said=said)]

        try:
            recorded = change(self.ctx, by_id(answered.incident_id), by=FIREHOUSE, needs=None, decide=decide)
        except Missing:
            return  # the incident is gone (a test's database reset): nothing to record it on
        if notice_id:
            self._after(recorded.incident, notice_id[0])

    def recover(self) -> int:
        """Record the answers that were lost: a delivery Statuspage took or refused (settled in the lane) whose
        answer was never written on its update (the process stopped, or the database blinked, in between).
        The leader runs this every minute; returns how many it recorded."""
        stranded = self.deliveries.store.stranded_status_updates(before=self.clock() - STRANDED)
        for update_id, incident_id, taken, said in stranded:
            self._answered(Answered(STATUS, incident_id, {"update": update_id}, PartnerAnswer(taken, said),
                                    attempts=1, final=True))
        return len(stranded)

    # --- resolving ----------------------------------------------------------------------------------------

    def _resolved(self, incident: Incident, events: Sequence[Event]) -> None:
        """An incident resolved while the status page shows it open: draft the resolved notice for the captain."""
        resolved = next((e for e in events if isinstance(e, StatusChanged) and e.status is Status.RESOLVED), None)
        if resolved is None or incident.drill or not self.settings.enabled:
            return
        with self.ctx.unit_of_work() as uow:
            sent = [u for u in uow.statuspage.of(incident.id) if u.state is not Publishing.FAILED]
        if not sent or sent[-1].status is PublicStatus.RESOLVED:
            return
        drafted = self.notices.drafted(incident, DraftNotice(lane="product"), by=resolved.by)
        change(self.ctx, by_id(incident.id), by=FIREHOUSE, needs=None,
               decide=lambda uow, target: [self._event(drafted, target.incident, "owed", by=FIREHOUSE)])

    # --- the public page ----------------------------------------------------------------------------------

    def public_page(self) -> PublicPage:
        """Everything Firehouse's own page shows, read now: published updates only."""
        own = self.settings.firehouse
        now = self.clock()
        with self.ctx.unit_of_work() as uow:
            updates = uow.statuspage.public(since=now - HISTORY)
        incidents = public_incidents(updates)
        latest = max((i.updated_at for i in incidents), default=now)
        return PublicPage(name=own.name, url=own.url, components=components(own.components, incidents),
                          incidents=tuple(incidents), updated_at=latest, built_at=now)

    def public_version(self) -> tuple[int, datetime | None]:
        with self.ctx.unit_of_work() as uow:
            return uow.statuspage.version()
