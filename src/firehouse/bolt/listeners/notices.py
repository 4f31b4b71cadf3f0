"""The buttons on a drafted notice, and its edit modal."""

from __future__ import annotations

from slack_bolt import Ack, App

from firehouse.notice_desk import NoticeDesk
from firehouse.service import IncidentService
from firehouse.slack.gateway import Message
from firehouse.slack.listeners.replies import guarded, on_button, tell
from firehouse.slack.notice_blocks import (
    APPROVE_ACTION,
    EDIT_ACTION,
    EDIT_CALLBACK,
    SENT_ACTION,
    edit_modal,
    read_edit_modal,
)


def register(app: App, service: IncidentService, desk: NoticeDesk) -> None:
    def open_editor(user: str, value: str, body: dict) -> None:
        with service.unit_of_work() as uow:
            notice = uow.incidents.notice(int(value))
        service.gateway.open_view(body["trigger_id"], edit_modal(notice))

    def approve(user: str, value: str, body: dict) -> Message:
        notice = desk.approve(notice_id=int(value), by=user)
        return Message(text=f"Approved notice #{notice.id}; its exact text is kept for the record.")

    def mark_sent(user: str, value: str, body: dict) -> Message:
        notice = desk.mark_sent(notice_id=int(value), by=user)
        return Message(text=f"Marked notice #{notice.id} as sent.")

    on_button(app, service, EDIT_ACTION, open_editor)
    on_button(app, service, APPROVE_ACTION, approve)
    on_button(app, service, SENT_ACTION, mark_sent)

    @app.view(EDIT_CALLBACK)
    def edited(ack: Ack, body: dict, view: dict) -> None:
        notice_id, text = read_edit_modal(view)
        if not text:
            ack(response_action="errors", errors={"part_1": "A notice can't be empty."})
            return
        ack()
        user = body["user"]["id"]

        def save() -> Message:
            notice = desk.edit(notice_id=notice_id, by=user, text=text)
            return Message(text=f"Saved your edit of notice #{notice.id}; it needs approval before it is sent.")

        reply = guarded(save)
        with service.unit_of_work() as uow:
            notice = uow.incidents.notice(notice_id)
            channel = uow.incidents.get(notice.incident_id).channel_id if notice else None
        tell(service, user=user, channel=channel, message=reply)
