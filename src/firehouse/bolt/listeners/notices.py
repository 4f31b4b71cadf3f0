"""The buttons on a drafted notice, and its edit modal."""

from __future__ import annotations

from slack_bolt import Ack, App

from firehouse.bolt.handlers import Services
from firehouse.bolt.listeners.replies import guarded, on_button, tell
from firehouse.bolt.work import Background
from firehouse.slack.gateway import Message
from firehouse.slack.notice_blocks import (
    APPROVE_ACTION,
    EDIT_ACTION,
    EDIT_CALLBACK,
    SENT_ACTION,
    edit_modal,
    read_edit_modal,
)


def register(app: App, services: Services, background: Background) -> None:
    desk, gateway = services.notices, services.gateway

    def open_editor(user: str, value: str, body: dict) -> None:
        gateway.open_view(body["trigger_id"], edit_modal(desk.notice(int(value))))

    def approve(user: str, value: str, body: dict) -> Message:
        notice = desk.approve(notice_id=int(value), by=user)
        return Message(text=f"Approved notice #{notice.id}; its exact text is kept for the record.")

    def mark_sent(user: str, value: str, body: dict) -> Message:
        notice = desk.mark_sent(notice_id=int(value), by=user)
        return Message(text=f"Marked notice #{notice.id} as sent.")

    for action_id, handle in ((EDIT_ACTION, open_editor), (APPROVE_ACTION, approve), (SENT_ACTION, mark_sent)):
        on_button(app, gateway=gateway, background=background, action_id=action_id, handle=handle)

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

        background.run(lambda: tell(gateway, user=user, channel=desk.war_room_of(notice_id), message=guarded(save)))
