"""Notices for the product and legal lanes, the facts they are written from, and the regulatory clocks.

Drafts render from the reviewed templates, are posted in the war room, and count as sent only after
someone with authority for the lane approved them; the approved text is stored verbatim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from firehouse.commands.notices import DraftNotice, NotReportable, RecordFacts
from firehouse.comms.notices import RenderedNotice, render_notice
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.clocks import REGIMES
from firehouse.domain.events import Event
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.domain.permissions import Action
from firehouse.domain.statuspage import public_status
from firehouse.errors import DomainError, InvalidChange
from firehouse.store import UnitOfWork
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Outcome, Target, change, notice_no, rule, war_room, write

DRILL_CLOCKS = "This is a drill, so no regulatory clock runs and there is nothing to report."


def count_as_sent(incident: Incident, notice: Notice) -> None:
    """A sent (or published) product notice settles the customer notice; a sent fact sheet meets its deadline."""
    if notice.lane == "product":
        incident.notice_sent_at = incident.notice_sent_at or notice.sent_at
    elif notice.regime and notice.stage and f"{notice.regime}:{notice.stage}" not in incident.reported:
        incident.reported.append(f"{notice.regime}:{notice.stage}")


class NoticeDesk:
    """Facts, drafts, approvals, sending, and the clocks of the legal lane."""

    def __init__(self, *, service: IncidentService, templates: TemplateCatalogue) -> None:
        self.service = service
        self.templates = templates
        self.settings = service.settings
        self.ctx = service.context

    # --- facts and moments -----------------------------------------------------------------------

    def record_facts(self, command: RecordFacts, *, channel: str, by: str) -> Outcome:
        return change(self.ctx, war_room(channel), by=by, needs=Action.FACTS,
                      decide=rule(lambda incident: incident.record_facts(
                                  dict(command.facts), by=by, at=self.ctx.clock())))

    # --- drafting and the life of a notice ----------------------------------------------------------

    def render(self, incident: Incident, *, lane: str, template: str | None = None, regime: str | None = None,
               stage: str | None = None) -> RenderedNotice:
        with self.ctx.unit_of_work() as uow:
            firebreaks = uow.evidence.firebreaks(incident.id)
            verifications = uow.signals.verifications(incident.id)
            watches = uow.signals.watches(incident.id, active=False)
        return render_notice(incident, templates=self.templates, catalog=self.service.catalog,
                             regimes=self.settings.regimes, lane=lane, template=template, regime=regime, stage=stage,
                             now=self.ctx.clock(), firebreaks=firebreaks, verifications=verifications,
                             watches=watches)

    def draft(self, command: DraftNotice, *, channel: str, by: str) -> Notice:
        """Render a draft, store it, and post it in the war room with Edit and Approve buttons."""
        incident = self.service.incident_in(channel)
        self.ctx.permissions.require(incident, Action.DRAFT_NOTICE, by)
        return self.drafted(incident, command, by=by)

    def drafted(self, incident: Incident, command: DraftNotice, *, by: str) -> Notice:
        """`draft` without asking whether `by` may: for what Firehouse drafts itself (a resolved status page's)."""
        lane, template, regime, stage = command.lane, command.template, command.regime, command.stage
        channel = incident.channel_id
        rendered = self.render(incident, lane=lane, template=template, regime=regime, stage=stage)
        now = self.ctx.clock()
        drafted = Notice(incident_id=incident.id, lane=lane, template=rendered.name, title=rendered.title,
                         text=rendered.text, created_by=by, created_at=now, regime=rendered.regime,
                         stage=rendered.stage)

        def decide(uow: UnitOfWork, target: Target[None]) -> list[Event]:
            uow.notices.add(drafted)
            return [drafted.event("drafted", by=by, at=now)]

        outcome = change(self.ctx, war_room(channel), by=by, needs=None, decide=decide, publish=False)
        self.show(drafted, incident=outcome.incident, missing=rendered.missing)
        return drafted

    def edit(self, *, notice_id: int, by: str, text: str) -> Notice:
        return self._act(notice_id, by, needs=lambda n: Action.DRAFT_NOTICE,
                         act=lambda n: n.edit(text, by=by, at=self.ctx.clock()))

    def approve(self, *, notice_id: int, by: str) -> Notice:
        return self._act(notice_id, by, needs=lambda n: n.approve_action,
                         act=lambda n: n.approve(by=by, at=self.ctx.clock()))

    def mark_sent(self, *, notice_id: int, by: str) -> Notice:
        return self._act(notice_id, by, needs=lambda n: Action.MARK_SENT,
                         act=lambda n: n.mark_sent(by=by, at=self.ctx.clock()),
                         in_drill=False)

    def _act(self, notice_id: int, by: str, *, needs: Callable[[Notice], Action], act: Callable[[Notice], Event],
             in_drill: bool = True) -> Notice:
        def decide(uow: UnitOfWork, target: Target[Notice]) -> Decision[Notice]:
            incident, acted = target.incident, target.record
            if incident.drill and not in_drill:
                raise InvalidChange("This is a drill: its notices are drafted and approved for practice, never"
                                    " marked sent.")
            was = acted.status
            events = [act(acted)]
            if acted.status is NoticeStatus.SENT:
                count_as_sent(incident, acted)
            elif acted.status is NoticeStatus.APPROVED and acted.lane == "product":
                acted.approved_as = public_status(incident.status).value  # what its words were approved for
                if incident.drill:
                    events += self._practised(incident, acted, by=by)
            uow.notices.save(acted, was=was)
            return Decision(events, made=acted)

        outcome = change(self.ctx, notice_no(notice_id), by=by, needs=lambda target: needs(target.record),
                         decide=decide, publish=False)
        self.show(outcome.made, incident=outcome.incident)
        return outcome.made

    def _practised(self, incident: Incident, notice: Notice, *, by: str) -> list:
        """In a drill an approved product notice stands in for one sent (none ever is): it settles the customer
        notice a SEV1 owes, as a waiver that says why, on the timeline."""
        if incident.notice_waiver:
            return []
        incident.notice_waiver = f"a drill: product notice #{notice.id} approved, and drills never send notices"
        return [incident.log(text=f"Customer notice settled for the drill: {incident.notice_waiver}", by=by,
                             at=self.ctx.clock(), kind="notice")]

    def show(self, notice: Notice, *, incident: Incident, missing: Sequence[str] = ()) -> None:
        """Post the notice in its war room, or update the message that shows it."""
        posted = self.ctx.outbound.show_notice(notice, incident=incident, missing=missing)
        if not posted:
            return
        notice.message_ts = posted

        def shown(uow: UnitOfWork) -> None:  # only the message: an approval meanwhile must stand
            current = uow.notices.get(notice.id)
            current.message_ts = posted
            uow.notices.save(current)

        write(self.ctx, shown)

    # --- regulatory clocks -----------------------------------------------------------------------

    def notice(self, notice_id: int) -> Notice:
        return self.ctx.read(notice_no(notice_id)).record

    def war_room_of(self, notice_id: int) -> str | None:
        """The channel of the notice's incident, where replies about it belong."""
        try:
            return self.ctx.read(notice_no(notice_id)).incident.channel_id
        except DomainError:
            return None

    def not_reportable(self, command: NotReportable, *, channel: str, by: str) -> Notice:
        """Record the decision (its reminders stop) and keep the rendered record of it."""
        regime, reason = command.regime, command.reason
        if regime not in self.settings.regimes:
            raise InvalidChange(f"{REGIMES[regime].name} is not enabled here, so there is nothing to decide.")
        if self.service.incident_in(channel).drill:
            raise InvalidChange(DRILL_CLOCKS)
        change(self.ctx, war_room(channel), by=by, needs=Action.NOT_REPORTABLE,
               decide=rule(lambda incident: incident.decide_not_reportable(regime, reason, by=by,
                                                                                                  at=self.ctx.clock())))
        incident = self.service.incident_in(channel)
        rendered = self.render(incident, lane="legal", template="not_reportable", regime=regime)
        now = self.ctx.clock()
        decided = Notice(incident_id=incident.id, lane="legal", template=rendered.name, title=rendered.title,
                         text=rendered.text, created_by=by, created_at=now, regime=regime,
                         status=NoticeStatus.RECORDED, approved_by=by, approved_at=now, approved_text=rendered.text)
        write(self.ctx, lambda uow: uow.notices.add(decided))
        self.show(decided, incident=incident)
        return decided
