"""Facts, drafted notices (by command, and their Edit, Approve and Sent buttons and edit form), and the clocks."""

from __future__ import annotations

from firehouse.bolt.handlers.request import Form, Request, Services, changed
from firehouse.commands.notices import DraftNotice, NotReportable, RecordFacts, ShowClock
from firehouse.slack import blocks, notice_blocks
from firehouse.slack.gateway import Message
from firehouse.slack.notice_blocks import edit_modal, read_edit_modal
from firehouse.usecases.notices import DRILL_CLOCKS

EditForm = tuple[int, str]  # (notice id, the edited text)


def record_facts(command: RecordFacts, req: Request) -> Message:
    if not command.facts:
        return blocks.facts_message(req.services.incidents.incident_in(req.channel))
    return changed(req.services.notices.record_facts(command, channel=req.channel, by=req.user))


def draft_notice(command: DraftNotice, req: Request) -> Message:
    notice = req.services.notices.draft(command, channel=req.channel, by=req.user)
    return Message(text=f"Drafted {notice.lane} notice #{notice.id}: it is in the channel for review.")


def clock(command: ShowClock | NotReportable, req: Request) -> Message:
    if isinstance(command, NotReportable):
        req.services.notices.not_reportable(command, channel=req.channel, by=req.user)
        return Message(text="Recorded as not reportable; that regime's reminders stop. The record is in the channel.")
    incidents = req.services.incidents
    incident = incidents.incident_in(req.channel)
    if incident.drill:
        return Message(text=DRILL_CLOCKS)
    return notice_blocks.clock_message(
        incident.deadlines(incidents.settings.regimes), reported=incident.reported,
        not_reportable=incident.not_reportable, enabled=incidents.settings.regimes, class_id=incident.class_id,
        now=incidents.clock())


# --- a drafted notice's buttons and edit form ------------------------------------------------------


def open_editor(value: str, req: Request) -> None:
    req.services.outbound.open_form(req.trigger_id, edit_modal(req.services.notices.notice(int(value))))


def approve(value: str, req: Request) -> Message:
    notice = req.services.notices.approve(notice_id=int(value), by=req.user)
    return Message(text=f"Approved notice #{notice.id}; its exact text is kept for the record.")


def mark_sent(value: str, req: Request) -> Message:
    notice = req.services.notices.mark_sent(notice_id=int(value), by=req.user)
    return Message(text=f"Marked notice #{notice.id} as sent.")


def publish(value: str, req: Request) -> Message:
    outcome = req.services.statuspage.publish(notice_id=int(value), by=req.user)
    if outcome.made is None:
        return Message(text=f"A drill: notice #{value} was not published. What would have gone out is in the channel.")
    if outcome.made.published_at:
        return Message(text=f"Published notice #{value} to the status page.")
    return Message(text=f"Publishing notice #{value}: the channel hears when Statuspage has taken it.")


def _check_edit(form: EditForm, services: Services) -> dict[str, str]:
    return {} if form[1] else {"part_1": "A notice can't be empty."}


def _edit_submitted(form: EditForm, req: Request) -> Message:
    notice = req.services.notices.edit(notice_id=form[0], by=req.user, text=form[1])
    return Message(text=f"Saved your edit of notice #{notice.id}; it needs approval before it is sent.")


EDIT_FORM = Form(read=read_edit_modal, check=_check_edit, handle=_edit_submitted,
                 where=lambda form, services: services.notices.war_room_of(form[0]))
