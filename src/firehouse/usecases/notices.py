"""Notices for the product and legal lanes, the facts they are written from, and the regulatory clocks.

Drafts render from the reviewed templates, are posted in the war room, and count as sent only after
someone with authority for the lane approved them; the approved text is stored verbatim.
"""

from __future__ import annotations

from collections.abc import Sequence

from firehouse.comms.notices import RenderedNotice, render_notice
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.clocks import REGIMES
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.errors import DomainError, InvalidChange
from firehouse.usecases.incidents import IncidentService, Outcome


DRILL_CLOCKS = "This is a drill, so no regulatory clock runs and there is nothing to report."


class NoticeDesk:
    """Facts, drafts, approvals, sending, and the clocks of the legal lane."""

    def __init__(self, *, service: IncidentService, templates: TemplateCatalogue) -> None:
        self.service = service
        self.templates = templates
        self.settings = service.settings
        self.clock = service.clock

    # --- facts and moments -----------------------------------------------------------------------

    def record_facts(self, *, channel: str, by: str, facts: Sequence[tuple[str, str]]) -> Outcome:
        return self.service.change(channel, by, needs="facts",
                                   decide=lambda incident: incident.record_facts(dict(facts), by=by, at=self.clock()))

    # --- drafting and the life of a notice ----------------------------------------------------------

    def render(self, incident: Incident, *, lane: str, template: str | None = None, regime: str | None = None,
               stage: str | None = None) -> RenderedNotice:
        with self.service.unit_of_work() as uow:
            firebreaks = uow.evidence.firebreaks(incident.id)
        return render_notice(incident, templates=self.templates, catalog=self.service.catalog,
                             regimes=self.settings.regimes, lane=lane, template=template, regime=regime, stage=stage,
                             now=self.clock(), firebreaks=firebreaks)

    def draft(self, *, channel: str, by: str, lane: str, template: str | None = None, regime: str | None = None,
              stage: str | None = None) -> Notice:
        """Render a draft, store it, and post it in the war room with Edit and Approve buttons."""
        incident = self.service.incident_in(channel)
        self.service.require(incident, "draft_notice", by)
        rendered = self.render(incident, lane=lane, template=template, regime=regime, stage=stage)
        now = self.clock()
        notice = Notice(incident_id=incident.id, lane=lane, template=rendered.name, title=rendered.title,
                        text=rendered.text, created_by=by, created_at=now, regime=rendered.regime,
                        stage=rendered.stage)
        with self.service.unit_of_work() as uow:
            uow.notices.add(notice)
            uow.incidents.record(incident, [notice.event("drafted", by=by, at=now)])
            uow.commit()
        self._show(notice, incident=incident, missing=rendered.missing)
        return notice

    def edit(self, *, notice_id: int, by: str, text: str) -> Notice:
        return self._act(notice_id, by, needs=lambda n: "draft_notice",
                         act=lambda n: n.edit(text, by=by, at=self.clock()))

    def approve(self, *, notice_id: int, by: str) -> Notice:
        return self._act(notice_id, by, needs=lambda n: n.approve_action,
                         act=lambda n: n.approve(by=by, at=self.clock()))

    def mark_sent(self, *, notice_id: int, by: str) -> Notice:
        return self._act(notice_id, by, needs=lambda n: "mark_sent", act=lambda n: n.mark_sent(by=by, at=self.clock()),
                         in_drill=False)

    def _act(self, notice_id: int, by: str, *, needs, act, in_drill: bool = True) -> Notice:
        with self.service.unit_of_work() as uow:
            notice = uow.notices.get(notice_id)
            if notice is None:
                raise DomainError(f"Notice #{notice_id} does not exist.")
            incident = uow.incidents.get(notice.incident_id)
            self.service.require(incident, needs(notice), by)
            if incident.drill and not in_drill:
                raise InvalidChange("This is a drill: its notices are drafted and approved for practice, never"
                                    " marked sent.")
            events = [act(notice)]
            if notice.status is NoticeStatus.SENT:
                self._count_as_sent(incident, notice)
            elif incident.drill and notice.status is NoticeStatus.APPROVED and notice.lane == "product":
                events += self._practised(incident, notice, by=by)
            uow.notices.save(notice)
            uow.incidents.save(incident, events)
            uow.commit()
        self._show(notice, incident=incident)
        self.service.notify_saved(incident)
        return notice

    @staticmethod
    def _count_as_sent(incident: Incident, notice: Notice) -> None:
        """A sent product notice settles the customer notice; a sent fact sheet meets its deadline."""
        if notice.lane == "product":
            incident.notice_sent_at = incident.notice_sent_at or notice.sent_at
        elif notice.regime and notice.stage and f"{notice.regime}:{notice.stage}" not in incident.reported:
            incident.reported.append(f"{notice.regime}:{notice.stage}")

    def _practised(self, incident: Incident, notice: Notice, *, by: str) -> list:
        """In a drill an approved product notice stands in for one sent (none ever is): it settles the customer
        notice a SEV1 owes, as a waiver that says why, on the timeline."""
        if incident.notice_waiver:
            return []
        incident.notice_waiver = f"a drill: product notice #{notice.id} approved, and drills never send notices"
        return [incident.log(text=f"Customer notice settled for the drill: {incident.notice_waiver}", by=by,
                             at=self.clock(), kind="notice")]

    def _show(self, notice: Notice, *, incident: Incident, missing: Sequence[str] = ()) -> None:
        """Post the notice in its war room, or update the message that shows it."""
        posted = self.service.outbound.show_notice(notice, incident=incident, missing=missing)
        if not posted:
            return
        notice.message_ts = posted
        with self.service.unit_of_work() as uow:
            uow.notices.save(notice)
            uow.commit()

    # --- regulatory clocks -----------------------------------------------------------------------

    def notice(self, notice_id: int) -> Notice:
        with self.service.unit_of_work() as uow:
            notice = uow.notices.get(notice_id)
        if notice is None:
            raise DomainError(f"Notice #{notice_id} does not exist.")
        return notice

    def war_room_of(self, notice_id: int) -> str | None:
        """The channel of the notice's incident, where replies about it belong."""
        with self.service.unit_of_work() as uow:
            notice = uow.notices.get(notice_id)
            incident = uow.incidents.get(notice.incident_id) if notice else None
        return incident.channel_id if incident else None

    def not_reportable(self, *, channel: str, by: str, regime: str, reason: str) -> Notice:
        """Record the decision (its reminders stop) and keep the rendered record of it."""
        if regime not in self.settings.regimes:
            raise InvalidChange(f"{REGIMES[regime].name} is not enabled here, so there is nothing to decide.")
        if self.service.incident_in(channel).drill:
            raise InvalidChange(DRILL_CLOCKS)
        self.service.change(channel, by, needs="not_reportable",
                            decide=lambda incident: incident.decide_not_reportable(regime, reason, by=by,
                                                                                   at=self.clock()))
        incident = self.service.incident_in(channel)
        rendered = self.render(incident, lane="legal", template="not_reportable", regime=regime)
        now = self.clock()
        record = Notice(incident_id=incident.id, lane="legal", template=rendered.name, title=rendered.title,
                        text=rendered.text, created_by=by, created_at=now, regime=regime,
                        status=NoticeStatus.RECORDED, approved_by=by, approved_at=now, approved_text=rendered.text)
        with self.service.unit_of_work() as uow:
            uow.notices.add(record)
            uow.commit()
        self._show(record, incident=incident)
        return record
