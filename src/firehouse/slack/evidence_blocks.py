"""Block Kit for snapshots: the form for long evidence, and the list with fingerprints."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import ContextBlock, InputBlock, MarkdownTextObject, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from firehouse.comms.mrkdwn import escape
from firehouse.domain.snapshots import FIELDS, LONG_FIELDS, Snapshot
from firehouse.domain.times import stamp
from firehouse.slack.gateway import Message
from firehouse.slack.limits import MESSAGE_BLOCKS, capped, pack

SNAPSHOT_CALLBACK = "snapshot_form"
SNAPSHOT_ACTION = "snapshot_open"  # the "Snapshot first" button
FORM_LIMIT = 3000  # Slack's limit for one plain-text input
SHORT_FIELDS = [key for key in FIELDS if key not in LONG_FIELDS]
SHOWN_VALUE = 80  # characters of each value in the list


def snapshot_form(*, incident_id: int) -> View:
    """The long fields (the exact input, the bad output, the system prompt, what should have happened) and
    the short ones; every field optional, at least one needed."""
    blocks: list[Any] = []
    for key in (*LONG_FIELDS, *SHORT_FIELDS, "supersedes"):
        hint = FIELDS.get(key, "the number of the snapshot this one corrects")
        blocks.append(InputBlock(
            block_id=key, label=key.replace("_", " ").capitalize(), optional=True, hint=hint,
            element=PlainTextInputElement(action_id="value", multiline=key in LONG_FIELDS,
                                          max_length=FORM_LIMIT if key in LONG_FIELDS else 500),
        ))
    return View(type="modal", callback_id=SNAPSHOT_CALLBACK, title="Freeze evidence", submit="Freeze", close="Cancel",
                private_metadata=json.dumps({"incident": incident_id}), blocks=blocks)


def read_snapshot_form(view: Mapping[str, Any]) -> tuple[int, dict[str, str]]:
    """The incident and the fields filled in."""
    values = view.get("state", {}).get("values", {})
    fields = {}
    for key, block in values.items():
        value = (block.get("value", {}).get("value") or "").strip()
        if value:
            fields[key] = value
    return int(json.loads(view.get("private_metadata") or "{}").get("incident", 0)), fields


def snapshots_message(snapshots: Sequence[Snapshot]) -> Message:
    """Every snapshot with its full fingerprint, who froze it and when, and what it holds."""
    if not snapshots:
        return Message(text="No evidence frozen yet. `/incident snapshot key=value …`, or `/incident snapshot` for"
                            " the form.")
    superseded = {s.supersedes for s in snapshots if s.supersedes}
    lines = [f"*{len(snapshots)} snapshot{'s' if len(snapshots) != 1 else ''}*, oldest first"]
    for snapshot in snapshots:
        status = " · _superseded_" if snapshot.id in superseded else ""
        corrects = f" · corrects #{snapshot.supersedes}" if snapshot.supersedes else ""
        lines.append(f"*#{snapshot.id}* by <@{snapshot.taken_by}> at {stamp(snapshot.taken_at)}{corrects}{status}"
                     f"\n`sha256 {snapshot.fingerprint}`")
        for key, value in snapshot.fields.items():
            shown = " ".join(value.split())
            shown = shown if len(shown) <= SHOWN_VALUE else shown[: SHOWN_VALUE - 1] + "…"
            lines.append(f"    {escape(key)}: {escape(shown)}")
        if snapshot.trace_source:
            lines.append(f"    raw trace from {escape(snapshot.trace_source)}: {len(snapshot.trace_raw or ''):,} characters")
        if snapshot.cut:
            lines.append(f"    cut to fit the size cap: {escape(', '.join(snapshot.cut))}")
    listed = [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in pack(lines)]
    return Message(text=lines[0], blocks=capped(listed, limit=MESSAGE_BLOCKS - 1,
                                                more="…more snapshots than one message holds; each one is on the"
                                                     " timeline (`/incident timeline`).")
                   + [ContextBlock(elements=[MarkdownTextObject(
                       text="Each fingerprint is the SHA-256 of the snapshot's canonical JSON; a correction is a new"
                            " snapshot (`supersedes=<n>`).")])])


def frozen(snapshot: Snapshot) -> Message:
    """The reply to the person who froze it."""
    cut = f" Cut to fit the size cap: {', '.join(snapshot.cut)}." if snapshot.cut else ""
    return Message(text=f"Froze snapshot #{snapshot.id} ({', '.join(snapshot.fields) or 'a trace'});"
                        f" sha256 `{snapshot.fingerprint}`.{cut}")
