"""The snapshot form and the firebreak buttons (Pull, Lift, Snapshot first)."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from firehouse.bolt.handlers import Services, open_snapshot_form, pull
from firehouse.bolt.listeners.replies import guarded, on_button, tell
from firehouse.bolt.work import Background
from firehouse.slack import blocks, evidence_blocks, firebreak_blocks
from firehouse.slack.evidence_blocks import SNAPSHOT_ACTION, SNAPSHOT_CALLBACK, read_snapshot_form
from firehouse.slack.firebreak_blocks import LIFT_ACTION, PULL_ACTION, read_pull_value
from firehouse.slack.gateway import Message


def register(app: App, services: Services, background: Background) -> None:
    gateway = services.gateway

    def channel_of(body: dict) -> str:
        return body.get("channel", {}).get("id", "")

    def snapshot_first(user: str, value: str, body: dict) -> None:
        open_snapshot_form(services, channel=channel_of(body), trigger_id=body["trigger_id"])

    def pull_pressed(user: str, value: str, body: dict) -> Message:
        name, note = read_pull_value(value)
        return pull(services, channel=channel_of(body), user=user, name=name, note=note, confirmed=True)

    def lift_pressed(user: str, value: str, body: dict) -> Message:
        done, outcome = services.containment.lift(channel=channel_of(body), by=user, which=value)
        return blocks.with_problems(firebreak_blocks.pulled(done).text, outcome.problems)

    for action_id, handle in ((SNAPSHOT_ACTION, snapshot_first), (re.compile(f"^{PULL_ACTION}:"), pull_pressed),
                              (re.compile(f"^{LIFT_ACTION}:"), lift_pressed)):
        on_button(app, gateway=gateway, background=background, action_id=action_id, handle=handle)

    @app.view(SNAPSHOT_CALLBACK)
    def snapshot_submitted(ack: Ack, body: dict, view: dict) -> None:
        incident_id, fields = read_snapshot_form(view)
        if not fields:
            ack(response_action="errors", errors={"output": "Fill in at least one field: the bad output, say."})
            return
        ack()
        user = body["user"]["id"]

        def work() -> None:
            war_room: list[str] = []

            def freeze() -> Message:
                incident = services.incidents.incident_by_id(incident_id)
                war_room.append(incident.channel_id)
                snapshot, outcome = services.evidence.snapshot(channel=incident.channel_id, by=user, fields=fields)
                return blocks.with_problems(evidence_blocks.frozen(snapshot).text, outcome.problems)

            reply = guarded(freeze)
            tell(gateway, user=user, channel=war_room[0] if war_room else None, message=reply)

        background.run(work)
