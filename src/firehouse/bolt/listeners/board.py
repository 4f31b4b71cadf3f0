"""The status board's buttons and the update modal."""

from __future__ import annotations

from slack_bolt import Ack, App

from firehouse.errors import DomainError
from firehouse.service import IncidentService
from firehouse.slack import blocks
from firehouse.slack.board_blocks import (
    SNOOZE_ACTION,
    UPDATE_ACTION,
    UPDATE_CALLBACK,
    read_update_modal,
    update_modal,
)
from firehouse.slack.gateway import Message
from firehouse.slack.listeners.commands import updated
from firehouse.slack.listeners.replies import guarded, on_button, tell
from firehouse.statusboard import StatusBoard


def register(app: App, service: IncidentService, board: StatusBoard) -> None:
    def open_update(user: str, value: str, body: dict) -> None:
        incident = service.incident_by_id(int(value))
        service.gateway.open_view(body["trigger_id"], update_modal(incident_id=incident.id, status=incident.status))

    def snooze(user: str, value: str, body: dict) -> Message:
        until = board.snooze(incident_id=int(value), by=user)
        return Message(text=f"Snoozed: I'll ask again at {until:%H:%M} UTC.")

    on_button(app, service, UPDATE_ACTION, open_update)
    on_button(app, service, SNOOZE_ACTION, snooze)

    @app.view(UPDATE_CALLBACK)
    def update_submitted(ack: Ack, body: dict, view: dict) -> None:
        incident_id, status, text = read_update_modal(view)
        if not text:
            ack(response_action="errors", errors={"impact": "Say what the impact is right now."})
            return
        ack()
        user = body["user"]["id"]
        incident = service.incident_by_id(incident_id)

        def post() -> Message:
            problems: list[str] = []
            if status is not incident.status:
                try:
                    problems += service.change_status(channel=incident.channel_id, by=user, status=status).problems
                except DomainError as refused:
                    problems.append(refused.reply)
            outcome = board.post_update(channel=incident.channel_id, by=user, text=text)
            return blocks.with_problems(updated(outcome).text, problems)

        tell(service, user=user, channel=incident.channel_id, message=guarded(post))
