"""Block Kit for notices: the draft in the war room, its edit modal, and the regulatory clock."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from firehouse.comms.mrkdwn import escape
from firehouse.domain.clocks import REGIMES, Deadline
from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.domain.statuspage import StatusPublished
from firehouse.domain.times import duration, stamp
from firehouse.slack.gateway import Message
from firehouse.slack.limits import MESSAGE_BLOCKS, capped, pack
from firehouse.slack.markdown import to_mrkdwn

EDIT_ACTION, APPROVE_ACTION, SENT_ACTION = "notice_edit", "notice_approve", "notice_sent"
PUBLISH_ACTION = "notice_publish"
EDIT_CALLBACK = "notice_edit"
INPUT_LIMIT = 3000  # a plain-text input holds at most this many characters


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def notice_message(notice: Notice, *, missing: Sequence[str] = (), drill: bool = False,
                   publish_to: str | None = None) -> Message:
    """The draft as the war room sees it: what it is, what is missing, the text, and what to do next. A drill's
    notice can be approved for practice, never marked sent. An approved product notice has Publish where a status
    page is configured (`publish_to` names it); a drill's only shows what would have gone out."""
    regime = f" · {REGIMES[notice.regime].name}, {notice.stage}" if notice.regime else ""
    heading = (f":memo: *{notice.lane.capitalize()} notice #{notice.id}: {escape(notice.title)}*{regime}"
               f" · *{notice.status.upper()}*")
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=heading))]
    if missing and notice.status is NoticeStatus.DRAFT:
        facts = ", ".join(f"`{key}`" for key in missing)
        blocks.append(_context(f":warning: Missing facts: {facts}. Record them with `/incident fact <key>=<value>`"
                               " and draft again, or edit the text."))
    body = to_mrkdwn(escape(notice.text))
    room = MESSAGE_BLOCKS - len(blocks) - 3  # the history, the buttons, and one to spare
    blocks += capped([SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in pack(body.split("\n"))],
                     limit=room, more="…the notice goes on: *Edit* shows all of it.")
    history = [f"Drafted by <@{notice.created_by}> at {stamp(notice.created_at)}"]
    if notice.approved_by:
        verb = "recorded" if notice.status is NoticeStatus.RECORDED else "approved"
        history.append(f"{verb} by <@{notice.approved_by}> at {stamp(notice.approved_at)}")
    if notice.status is NoticeStatus.PUBLISHING:
        history.append(f"publishing to {publish_to or 'the status page'} (asked by <@{notice.sent_by}>)")
    elif notice.status is NoticeStatus.PUBLISHED:
        history.append(f"published to {publish_to or 'the status page'} by <@{notice.sent_by}>"
                       f" at {stamp(notice.sent_at)}")
    elif notice.sent_by:
        history.append(f"marked sent by <@{notice.sent_by}> at {stamp(notice.sent_at)}")
    blocks.append(_context("; ".join(history) + "."))
    if notice.status in (NoticeStatus.DRAFT, NoticeStatus.APPROVED):
        value = str(notice.id)
        buttons = [ButtonElement(text="Edit", action_id=EDIT_ACTION, value=value)]
        publishable = notice.lane == "product" and publish_to is not None
        if notice.status is NoticeStatus.DRAFT:
            buttons.append(ButtonElement(text="Approve", action_id=APPROVE_ACTION, value=value, style="primary"))
        elif publishable:
            buttons.append(ButtonElement(text="Publish (drill)" if drill else "Publish", action_id=PUBLISH_ACTION,
                                         value=value, style="primary"))
        if notice.status is NoticeStatus.APPROVED and not drill:
            buttons.append(ButtonElement(text="Mark sent", action_id=SENT_ACTION, value=value,
                                         style=None if publishable else "primary"))
        blocks.append(ActionsBlock(elements=buttons))
        if drill and notice.status is NoticeStatus.APPROVED:
            what = " *Publish (drill)* shows what would have gone out." if publishable else ""
            blocks.append(_context("Approved for practice: a drill's notice is never sent, so it has no *Mark sent*."
                                   + what))
    return Message(text=f"{notice.lane.capitalize()} notice #{notice.id} ({notice.status})", blocks=blocks)


def status_published(event: StatusPublished, *, captain: str) -> str:
    """The war room's line for a notice on its way to the status page, published, refused or previewed."""
    title = escape(event.title)
    match event.what:
        case "publishing":
            return (f":outbox_tray: <@{event.by}> is publishing product notice #{event.notice_id}: *{title}*"
                    f" ({event.status}).")
        case "published":
            return (f":satellite_antenna: Product notice #{event.notice_id} is on the status page"
                    f" ({event.status}){event.where} · sha256 `{event.fingerprint[:16]}`")
        case "retrying":
            return (f":hourglass: The status page has not taken product notice #{event.notice_id} yet:"
                    f" {escape(event.said)}. Retrying.")
        case "refused":
            return (f":warning: Product notice #{event.notice_id} was NOT published: {escape(event.said)}. Nothing"
                    " went public; fix the status page's settings and press *Publish* again.")
        case "previewed":
            return (f":performing_arts: A drill: product notice #{event.notice_id} would have been published as"
                    f" *{title}* ({event.status}; {escape(event.said)}), with the text above. Nothing was published.")
    return (f":memo: <@{captain}>, the status page still shows this incident open. Approve and *Publish* product"
            f" notice #{event.notice_id} to resolve it there: its components return to operational.")


def edit_modal(notice: Notice) -> View:
    """The notice's Markdown text in as many inputs as it takes (each holds 3,000 characters)."""
    parts = pack(notice.text.split("\n"), limit=INPUT_LIMIT) or [""]
    blocks = [
        InputBlock(block_id=f"part_{n}", label=f"Text (part {n} of {len(parts)})" if len(parts) > 1 else "Text",
                   optional=n > 1,
                   element=PlainTextInputElement(action_id="value", multiline=True, max_length=INPUT_LIMIT,
                                                 initial_value=part))
        for n, part in enumerate(parts, start=1)
    ]
    return View(type="modal", callback_id=EDIT_CALLBACK, title=f"Edit notice #{notice.id}", submit="Save",
                close="Cancel", private_metadata=json.dumps({"notice": notice.id}), blocks=blocks)


def read_edit_modal(view: Mapping[str, Any]) -> tuple[int, str]:
    values = view.get("state", {}).get("values", {})
    parts = [values[block]["value"].get("value") or "" for block in sorted(values, key=lambda b: int(b.split("_")[1]))]
    return int(json.loads(view.get("private_metadata") or "{}").get("notice", 0)), "\n".join(parts).strip()


def clock_message(deadlines: Sequence[Deadline], *, reported: Sequence[str],
                  not_reportable: Mapping[str, Mapping[str, str]], enabled: Mapping[str, tuple[str, ...]],
                  class_id: str, now: datetime) -> Message:
    """Each deadline with its start, due time and time left; decisions and reports already made."""
    if not enabled:
        return Message(text="No regulatory regimes are enabled. Set `regimes = [...]` in firehouse.toml.")
    if not deadlines and not not_reportable:
        covered = ", ".join(f"{REGIMES[r].name} ({', '.join(c)})" for r, c in enabled.items())
        return Message(text=f"No regulatory clock applies to a `{class_id}` incident. Enabled: {covered}.")
    lines = ["*Regulatory clocks* (UTC)"]
    for d in deadlines:
        name = REGIMES[d.regime].name
        if d.regime in not_reportable:
            continue
        if d.key in reported:
            state = ":white_check_mark: reported"
        elif d.due <= now:
            state = f":red_circle: *overdue by {duration(d.due, now)}*"
        else:
            state = f"{duration(now, d.due)} left"
        lines.append(f"*{name}* · {d.stage}: {d.label} · due {stamp(d.due)}"
                     f" (from {d.starts} {stamp(d.start)}) · {state}")
    for regime, decision in not_reportable.items():
        lines.append(f"*{REGIMES[regime].name}* · not reportable: {escape(decision['reason'])} (<@{decision['by']}>)")
    text = "\n".join(lines)
    return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=c)) for c in pack(lines)])


def deadline_reminder(*, deadline: Deadline, point: float, legal: str | None, captain: str) -> Message:
    who = f"<@{legal}>" if legal else f"<@{captain}> (no legal role holder yet: `/incident role legal @user`)"
    name = REGIMES[deadline.regime].name
    if point >= 1:
        text = (f":red_circle: {who}, the {name} deadline ({deadline.stage}: {deadline.label})"
                f" expired at {stamp(deadline.due)}.")
    else:
        text = (f":alarm_clock: {who}, {point:.0%} of the {name} window is gone: {deadline.stage}, {deadline.label},"
                f" is due at {stamp(deadline.due)}. Draft it with `/incident comms legal fact_sheet {deadline.regime}"
                f" {deadline.stage}`, or record `/incident clock {deadline.regime} not-reportable <reason>`.")
    return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text))])
