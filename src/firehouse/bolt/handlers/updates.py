"""Status updates: by command, from the board's Update button and its form, and snoozing the prompt."""

from __future__ import annotations

from firehouse.bolt.handlers.request import Form, Request, Services, updated
from firehouse.commands.incidents import ChangeStatus
from firehouse.commands.timeline import PostUpdate
from firehouse.domain.lifecycle import Status
from firehouse.errors import DomainError
from firehouse.slack import blocks, signal_blocks
from firehouse.slack.board_blocks import read_update_modal, update_modal
from firehouse.slack.gateway import Message
from firehouse.usecases.incidents import StillOutside

UpdateForm = tuple[int, Status, str]  # (incident id, the status picked, the impact text)


def post_update(command: PostUpdate, req: Request) -> Message:
    return updated(req.services.updates.post_update(command, channel=req.channel, by=req.user))


def open_update_form(value: str, req: Request) -> None:
    """The Update button: the form, with the incident's status picked."""
    incident = req.services.incidents.incident_by_id(int(value))
    req.services.outbound.open_form(req.trigger_id, update_modal(incident_id=incident.id, status=incident.status))


def snooze(value: str, req: Request) -> Message:
    until = req.services.updates.snooze(incident_id=int(value), by=req.user)
    return Message(text=f"Snoozed: I'll ask again at {until:%H:%M} UTC.")


def _check_update(form: UpdateForm, services: Services) -> dict[str, str]:
    return {} if form[2] else {"impact": "Say what the impact is right now."}


def _update_submitted(form: UpdateForm, req: Request) -> Message:
    """Move the status when the form picked another (a refusal is told, the update still goes out), then post."""
    incident_id, status, text = form
    incidents = req.services.incidents
    incident = incidents.incident_by_id(incident_id)
    problems: list[str] = []
    still: StillOutside | None = None
    if status is not incident.status:
        try:
            problems += incidents.change_status(ChangeStatus(status), channel=incident.channel_id,
                                                by=req.user).problems
        except StillOutside as outside:  # asked with a button, under the update's confirmation
            still = outside
        except DomainError as refused:
            problems.append(refused.reply)
    outcome = req.services.updates.post_update(PostUpdate(text), channel=incident.channel_id, by=req.user)
    posted = blocks.with_problems(updated(outcome).text, problems)
    if still:
        return signal_blocks.still_outside(status=still.status, standings=still.standings, lead=posted.text)
    return posted


UPDATE_FORM = Form(read=read_update_modal, check=_check_update, handle=_update_submitted,
                   where=lambda form, services: services.incidents.incident_by_id(form[0]).channel_id)
