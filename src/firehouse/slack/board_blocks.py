"""Block Kit for the status board: the prompt, the reminder, the checklist and the update modal."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from firehouse.domain.lifecycle import SETTABLE, Status
from firehouse.domain.times import hhmm
from firehouse.slack.gateway import Message
from firehouse.slack.limits import pack, sections
from firehouse.slack.markdown import to_mrkdwn

UPDATE_ACTION = "board_update"
SNOOZE_ACTION = "board_snooze"
UPDATE_CALLBACK = "status_update"
UPDATE_FIELDS = {"impact": "Impact", "doing": "What we are doing", "next": "Next step"}


def _buttons(incident_id: int, snooze_minutes: int) -> ActionsBlock:
    return ActionsBlock(elements=[
        ButtonElement(text="Post update", action_id=UPDATE_ACTION, value=str(incident_id), style="primary"),
        ButtonElement(text=f"Snooze {snooze_minutes} min", action_id=SNOOZE_ACTION, value=str(incident_id)),
    ])


def prompt(*, incident_id: int, captain: str, due: datetime, snooze_minutes: int) -> Message:
    """Ask the captain for the update stakeholders are owed at `due`."""
    text = (f":memo: <@{captain}>, stakeholders are owed an update at *{hhmm(due)}*. What is the status?"
            " Use the button or `/incident update <text>`.")
    return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text)),
                                      _buttons(incident_id, snooze_minutes)])


def reminder(*, incident_id: int, captain: str, due: datetime, next_due: datetime, missed: int,
             escalate_to: Sequence[str], snooze_minutes: int) -> Message:
    """No update came by `due`: remind the captain, and after too many misses pull in help."""
    text = (f":hourglass: <@{captain}>, no update came by {hhmm(due)}, so stakeholders were told there is no new"
            f" information. The next update is due at *{hhmm(next_due)}*.")
    if escalate_to:
        text += f"\n{' '.join(escalate_to)}: that is {missed} missed updates in a row. Can you help get one out?"
    return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text)),
                                      _buttons(incident_id, snooze_minutes)])


def rendered(markdown: str) -> Message:
    """A message rendered from a template, translated to mrkdwn and split into sections."""
    text = to_mrkdwn(markdown)
    return Message(text=text[:3000], blocks=[SectionBlock(text=MarkdownTextObject(text=chunk))
                                             for chunk in pack(text.split("\n"))])


def checklist(*, captain: str, elapsed: str, items: Sequence[str]) -> Message:
    """The first-hour phase items still open, `elapsed` after the declaration."""
    lines = "\n".join(f"• {item}" for item in items)
    text = f":clipboard: <@{captain}>, {elapsed} in. Still open from the first hour:\n{lines}"
    return Message(text=text, blocks=sections(text))


def update_modal(*, incident_id: int, status: Status) -> View:
    """The update form: status, impact, what is being done, next step."""
    options = [Option(value=s.value, text=s.value) for s in SETTABLE]
    blocks: list[Any] = [InputBlock(
        block_id="status", label="Current status",
        element=StaticSelectElement(action_id="value", options=options,
                                    initial_option=next(o for o in options if o.value == status.value)),
    )]
    for key, label in UPDATE_FIELDS.items():
        blocks.append(InputBlock(block_id=key, label=label, optional=key != "impact",
                                 element=PlainTextInputElement(action_id="value", multiline=True, max_length=900)))
    return View(type="modal", callback_id=UPDATE_CALLBACK, title="Status update", submit="Post", close="Cancel",
                private_metadata=json.dumps({"incident": incident_id}), blocks=blocks)


def read_update_modal(view: Mapping[str, Any]) -> tuple[int, Status, str]:
    """The incident, the chosen status and the composed update text of a submitted update modal."""
    values = view.get("state", {}).get("values", {})

    def value(block: str) -> str:
        return (values.get(block, {}).get("value", {}).get("value") or "").strip()

    status = values.get("status", {}).get("value", {}).get("selected_option") or {}
    parts = [f"{label}: {value(key)}" for key, label in UPDATE_FIELDS.items() if value(key)]
    incident_id = int(json.loads(view.get("private_metadata") or "{}").get("incident", 0))
    return incident_id, Status(status.get("value", Status.INVESTIGATING.value)), "\n".join(parts)
