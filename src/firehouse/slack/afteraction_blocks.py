"""Block Kit for the after-action lock: follow-up actions with their buttons and form, the eval-fixture form,
the postmortem draft's message, and the reminders."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from firehouse.comms.mrkdwn import escape
from firehouse.domain.afteraction import ActionState, FollowUp
from firehouse.domain.model import Incident
from firehouse.slack.blocks import shown_title
from firehouse.slack.gateway import Message
from firehouse.slack.limits import INPUT_VALUE, SECTION_TEXT, pack, shorten

DONE_ACTION, CHANGE_ACTION = "follow_up_done", "follow_up_change"
CHANGE_CALLBACK, FIXTURE_CALLBACK = "follow_up_change", "fixture_form"
PUBLISH_ACTION = "postmortem_publish"
FORM_LIMIT = 3000
MAX_LISTED = 20  # actions with buttons in one message, within Slack's 50 blocks


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _action_line(action: FollowUp, now: datetime) -> str:
    owner = f"<@{action.owner}>" if action.owner else "*no owner*"
    due = action.due.isoformat() if action.due else "*no due date*"
    if action.state is ActionState.DONE:
        return f"~#{action.id} {escape(action.text)}~ · done by <@{action.done_by}>"
    late = " · :warning: overdue" if action.overdue(now) else ""
    return f"*#{action.id}* ({action.kind}) {escape(action.text)} · {owner} · due {due}{late}"


def actions_message(incident: Incident, actions: Sequence[FollowUp], *, now: datetime) -> Message:
    """Every follow-up action; open ones with Done and Change buttons."""
    if not actions:
        return Message(text="No follow-up actions yet. `/incident action [prevent|mitigate|detect|process] <text>"
                            " [@owner] [due YYYY-MM-DD]`")
    blocks: list[Any] = [_section(f"*Follow-up actions of {shown_title(incident)}*")]
    for action in actions[:MAX_LISTED]:
        if action.state is ActionState.DONE:
            blocks.append(_section(shorten(_action_line(action, now), SECTION_TEXT)))
            continue
        blocks.append(SectionBlock(text=MarkdownTextObject(text=shorten(_action_line(action, now), SECTION_TEXT))))
        blocks.append(ActionsBlock(elements=[
            ButtonElement(text="Done", action_id=f"{DONE_ACTION}:{action.id}", value=str(action.id), style="primary"),
            ButtonElement(text="Owner or due date", action_id=f"{CHANGE_ACTION}:{action.id}", value=str(action.id)),
        ]))
    if len(actions) > MAX_LISTED:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"…and {len(actions) - MAX_LISTED} more.")]))
    open_count = sum(a.state is ActionState.OPEN for a in actions)
    return Message(text=f"{len(actions)} follow-up actions, {open_count} open", blocks=blocks)


def change_modal(action: FollowUp) -> View:
    """Reassign an action or move its due date."""
    return View(type="modal", callback_id=CHANGE_CALLBACK, title="Follow-up action", submit="Save", close="Cancel",
                private_metadata=json.dumps({"action": action.id}), blocks=[
                    _section(shorten(f"*#{action.id}* {escape(action.text)}", SECTION_TEXT)),
                    InputBlock(block_id="owner", label="Owner", optional=True,
                               element=UserSelectElement(action_id="value", initial_user=action.owner)),
                    InputBlock(block_id="due", label="Due", optional=True,
                               element=DatePickerElement(action_id="value",
                                                         initial_date=action.due.isoformat() if action.due else None)),
                ])


def read_change_modal(view: Mapping[str, Any]) -> tuple[int, str | None, date | None]:
    values = view.get("state", {}).get("values", {})
    owner = values.get("owner", {}).get("value", {}).get("selected_user")
    due = values.get("due", {}).get("value", {}).get("selected_date")
    action_id = int(json.loads(view.get("private_metadata") or "{}").get("action", 0))
    return action_id, owner, date.fromisoformat(due) if due else None


FIXTURE_FIELDS = {
    "system_prompt": ("System prompt", "as it was when it failed", True),
    "input": ("The failing input", "exactly what the user sent", False),
    "bad_output": ("The bad output", "as users saw it", True),
    "target": ("What should have happened", "the answer a good model gives", True),
    "rubric": ("Grading rubric", "how a judge should grade an answer", True),
    "forbidden": ("Must never appear", "one string per line", True),
    "tags": ("Tags", "comma-separated, e.g. nearby-variant, refunds", True),
}


def fixture_form(*, incident_id: int, snapshot_id: int | None, prefill: Mapping[str, str]) -> View:
    """The eval-fixture form, prefilled from the latest snapshot."""
    blocks: list[Any] = []
    if snapshot_id:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Prefilled from snapshot #{snapshot_id}.")]))
    for key, (label, hint, optional) in FIXTURE_FIELDS.items():
        initial = shorten(prefill.get(key) or "", INPUT_VALUE) or None  # "…" shows the prefill was cut
        blocks.append(InputBlock(block_id=key, label=label, hint=hint, optional=optional,
                                 element=PlainTextInputElement(action_id="value", multiline=key not in ("tags",),
                                                               max_length=FORM_LIMIT, initial_value=initial)))
    return View(type="modal", callback_id=FIXTURE_CALLBACK, title="Eval fixture", submit="Save", close="Cancel",
                private_metadata=json.dumps({"incident": incident_id, "snapshot": snapshot_id}), blocks=blocks)


def read_fixture_form(view: Mapping[str, Any]) -> tuple[int, int | None, dict[str, str]]:
    values = view.get("state", {}).get("values", {})
    fields = {key: (values.get(key, {}).get("value", {}).get("value") or "").strip() for key in FIXTURE_FIELDS}
    meta = json.loads(view.get("private_metadata") or "{}")
    return int(meta.get("incident", 0)), meta.get("snapshot"), fields


def postmortem_posted(incident: Incident, *, version: int, to_write: int) -> Message:
    """The message beside the draft file: what it is, what is still to write, and Publish."""
    todo = (f" {to_write} part{'s' if to_write != 1 else ''} still say `[to write: …]`: add them with"
            " `/incident postmortem note <section> <text>` and draft again." if to_write else "")
    text = f":page_facing_up: Postmortem draft, version {version}, for {shown_title(incident)}.{todo}"
    return Message(text=text, blocks=[_section(text), ActionsBlock(elements=[ButtonElement(
        text=f"Publish version {version}", action_id=PUBLISH_ACTION, value=f"{incident.id}:{version}", style="primary",
        confirm=ConfirmObject(title="Publish the postmortem?", text="The text as it reads now is kept verbatim with"
                                                                    " its fingerprint; later changes make a new version.",
                              confirm="Publish", deny="Not yet"))])])


def follow_up_reminder(*, action: FollowUp, incident: Incident, days: int) -> Message:
    text = (f":alarm_clock: Follow-up #{action.id} from {shown_title(incident)} is {days} day{'s' if days != 1 else ''}"
            f" overdue: {escape(action.text)}\nMark it done or move its date in <#{incident.channel_id}> with"
            " `/incident actions`.")
    return Message(text=text, blocks=[_section(chunk) for chunk in pack(text.split("\n"))])


def lock_nudge(*, incident: Incident, missing: Sequence[str]) -> Message:
    lines = [f":lock: <@{incident.captain}>, this incident is resolved but not locked yet, so the same failure could"
             " quietly come back. Still missing:", *(f"• {m}" for m in missing),
             "Then `/incident close`."]
    return Message(text="\n".join(lines), blocks=[_section(chunk) for chunk in pack(lines)])
