"""The follow-up actions' buttons and form, the eval-fixture form, and Publish on the postmortem draft."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from firehouse.bolt.handlers import Services, published
from firehouse.bolt.listeners.replies import guarded, on_button, tell
from firehouse.bolt.work import Background
from firehouse.slack import blocks
from firehouse.slack.afteraction_blocks import (
    CHANGE_ACTION,
    CHANGE_CALLBACK,
    DONE_ACTION,
    FIXTURE_CALLBACK,
    PUBLISH_ACTION,
    change_modal,
    read_change_modal,
    read_fixture_form,
)
from firehouse.slack.gateway import Message


def register(app: App, services: Services, background: Background) -> None:
    afteraction, gateway = services.afteraction, services.gateway

    def done(user: str, value: str, body: dict) -> Message:
        action = afteraction.complete(action_id=int(value), by=user)
        return Message(text=f"Action #{action.id} is done.")

    def change(user: str, value: str, body: dict) -> None:
        with services.incidents.unit_of_work() as uow:
            action = uow.afteraction.action(int(value))
        gateway.open_view(body["trigger_id"], change_modal(action))

    def publish(user: str, value: str, body: dict) -> Message:
        incident_id, version = (int(part) for part in value.split(":"))
        return published(*afteraction.publish_postmortem(incident_id=incident_id, by=user, version=version))

    for action_id, handle in ((re.compile(f"^{DONE_ACTION}:"), done), (re.compile(f"^{CHANGE_ACTION}:"), change),
                              (PUBLISH_ACTION, publish)):
        on_button(app, gateway=gateway, background=background, action_id=action_id, handle=handle)

    @app.view(CHANGE_CALLBACK)
    def changed(ack: Ack, body: dict, view: dict) -> None:
        action_id, owner, due = read_change_modal(view)
        if not owner and not due:
            ack(response_action="errors", errors={"owner": "Pick an owner, a due date, or both."})
            return
        ack()
        user = body["user"]["id"]

        def save() -> Message:
            action = None
            if owner:
                with services.incidents.unit_of_work() as uow:
                    current = uow.afteraction.action(action_id)
                if current and current.owner != owner:
                    action = afteraction.reassign(action_id=action_id, by=user, owner=owner)
            if due:
                action = afteraction.move_due(action_id=action_id, by=user, due=due)
            return Message(text=f"Saved action #{action_id}." if action else f"Action #{action_id} is unchanged.")

        background.run(lambda: tell(gateway, user=user, channel=None, message=guarded(save)))

    @app.view(FIXTURE_CALLBACK)
    def fixture_saved(ack: Ack, body: dict, view: dict) -> None:
        incident_id, snapshot_id, fields = read_fixture_form(view)
        if not fields["input"]:
            ack(response_action="errors", errors={"input": "The failing input is what the release gate replays."})
            return
        if not (fields["target"] or fields["rubric"] or fields["forbidden"]):
            ack(response_action="errors", errors={"target": "Say what should have happened: a target, a rubric,"
                                                            " or strings that must never appear."})
            return
        ack()
        user = body["user"]["id"]

        def save() -> Message:
            fixture, outcome = afteraction.add_fixture(
                incident_id=incident_id, by=user, user_input=fields["input"], bad_output=fields["bad_output"],
                system_prompt=fields["system_prompt"], target=fields["target"], rubric=fields["rubric"],
                forbidden=fields["forbidden"].splitlines(),
                tags=[t.strip() for t in fields["tags"].split(",")], snapshot_id=snapshot_id)
            return blocks.with_problems(f"Saved eval fixture #{fixture.id}; `firehouse export fixtures` writes it"
                                        " for the release gate.", outcome.problems)

        def work() -> None:
            reply = guarded(save)
            incident = services.incidents.incident_by_id(incident_id)
            tell(gateway, user=user, channel=incident.channel_id, message=reply)

        background.run(work)
