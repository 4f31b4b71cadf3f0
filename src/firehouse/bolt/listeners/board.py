"""The status board's buttons and the update modal."""

from __future__ import annotations

from slack_bolt import Ack, App

from firehouse.bolt.handlers import Services, updated
from firehouse.bolt.listeners.replies import guarded, on_button, tell
from firehouse.bolt.work import Background
from firehouse.errors import DomainError
from firehouse.slack import blocks
from firehouse.slack.board_blocks import (
    SNOOZE_ACTION,
    UPDATE_ACTION,
    UPDATE_CALLBACK,
    read_update_modal,
    update_modal,
)
from firehouse.slack.gateway import Message


def register(app: App, services: Services, background: Background) -> None:
    incidents, gateway = services.incidents, services.gateway

    def open_update(user: str, value: str, body: dict) -> None:
        incident = incidents.incident_by_id(int(value))
        gateway.open_view(body["trigger_id"], update_modal(incident_id=incident.id, status=incident.status))

    def snooze(user: str, value: str, body: dict) -> Message:
        until = services.updates.snooze(incident_id=int(value), by=user)
        return Message(text=f"Snoozed: I'll ask again at {until:%H:%M} UTC.")

    on_button(app, gateway=gateway, background=background, action_id=UPDATE_ACTION, handle=open_update)
    on_button(app, gateway=gateway, background=background, action_id=SNOOZE_ACTION, handle=snooze)

    @app.view(UPDATE_CALLBACK)
    def update_submitted(ack: Ack, body: dict, view: dict) -> None:
        incident_id, status, text = read_update_modal(view)
        if not text:
            ack(response_action="errors", errors={"impact": "Say what the impact is right now."})
            return
        ack()
        user = body["user"]["id"]

        def work() -> None:
            war_room: list[str] = []  # where to answer, once the incident is known

            def post() -> Message:
                incident = incidents.incident_by_id(incident_id)
                war_room.append(incident.channel_id)
                problems: list[str] = []
                if status is not incident.status:
                    try:
                        problems += incidents.change_status(channel=incident.channel_id, by=user,
                                                            status=status).problems
                    except DomainError as refused:
                        problems.append(refused.reply)
                outcome = services.updates.post_update(channel=incident.channel_id, by=user, text=text)
                return blocks.with_problems(updated(outcome).text, problems)

            reply = guarded(post)
            tell(gateway, user=user, channel=war_room[0] if war_room else None, message=reply)

        background.run(work)
