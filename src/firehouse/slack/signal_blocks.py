"""Block Kit for live signals: the configured ones with a Watch button each, what the signals say in the war
room (a firebreak verified, monitoring settled), and the question before a status move they argue against."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from firehouse.comms.mrkdwn import escape
from firehouse.domain.lifecycle import Status
from firehouse.domain.signals import Signal
from firehouse.domain.watches import Watch
from firehouse.slack.gateway import Message
from firehouse.slack.limits import BUTTON_VALUE, SECTION_TEXT, capped, sections, shorten

WATCH_ACTION = "signal_watch"
MOVE_ACTION = "status_anyway"


def board(*, configured: Sequence[Signal], watched: Sequence[Watch]) -> Message:
    """The configured signals with a Watch button each (a watched one shows its chart again), and what this war
    room watches that is not configured (an alert's own signal)."""
    watching = {w.signal.name for w in watched}
    blocks: list[Any] = []
    if not configured:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text="No signals are configured for this deployment (`[signals.<name>]` in the config).")))
    for signal in configured:
        state = " · _watched_" if signal.name in watching else ""
        text = f"*{escape(signal.label)}* (`{signal.name}`) · {escape(signal.baseline_name)}{state}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_TEXT)), accessory=ButtonElement(
            text="Chart" if signal.name in watching else "Watch", action_id=f"{WATCH_ACTION}:{signal.name}",
            value=signal.name, style=None if signal.name in watching else "primary")))
    configured_names = {s.name for s in configured}
    for watch in (w for w in watched if w.signal.name not in configured_names):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=shorten(
            f"*{escape(watch.signal.label)}* (`{watch.signal.name}`, {watch.origin}) · _watched_", SECTION_TEXT)),
            accessory=ButtonElement(text="Chart", action_id=f"{WATCH_ACTION}:{watch.signal.name}",
                                    value=watch.signal.name)))
    text = f"{len(configured)} signal{'s' if len(configured) != 1 else ''} configured, {len(watched)} watched here"
    return Message(text=text, blocks=capped(blocks, more="…more signals than one message holds; watch the rest by"
                                                         " name with `/incident watch <signal>`."))


def note(*, kind: str, lines: Sequence[str], captain: str | None) -> Message:
    """A firebreak's measured effect on each watched signal, or every signal settled in monitoring."""
    shown = [escape(line) for line in lines]
    if kind == "settled":
        text = (f":white_check_mark: <@{captain}>, every watched signal has stayed within its baseline:\n"
                + "\n".join(f"• {line}" for line in shown)
                + "\nConsider resolving: `/incident resolve [summary]`.")
    else:
        text = "\n".join(f":bar_chart: {line}" for line in shown)
    return Message(text=text, blocks=sections(text))


def move_value(status: Status, summary: str = "", waiver: str = "") -> str:
    """The Move anyway button's value: the status and, for resolving, the summary and waiver, the longer of
    the two visibly shortened until it fits a button's value."""
    def value() -> str:
        return json.dumps({"status": status.value, "summary": summary, "waiver": waiver}, ensure_ascii=False)

    while len(value()) > BUTTON_VALUE:
        over = len(value()) - BUTTON_VALUE
        if len(summary) >= len(waiver):
            summary = shorten(summary, max(1, len(summary) - over - 1))
        else:
            waiver = shorten(waiver, max(1, len(waiver) - over - 1))
    return value()


def read_move_value(value: str) -> tuple[Status, str, str]:
    data = json.loads(value or "{}")
    return Status(data.get("status", "")), str(data.get("summary", "")), str(data.get("waiver", ""))


def still_outside(*, status: Status, standings: Sequence[str], summary: str = "", waiver: str = "",
                  lead: str = "") -> Message:
    """Before moving to contained, monitoring or resolved while a watched signal is still outside its baseline:
    the values, and a button that moves anyway (the override goes on the timeline). `lead` is said first."""
    text = (f"{lead}\n" if lead else "") + (f":warning: Still outside baseline, so not moved to {status} yet:\n"
                                            + "\n".join(f"• {escape(line)}" for line in standings))
    return Message(text=text, blocks=[*sections(text), ActionsBlock(elements=[
        ButtonElement(text=f"Move to {status} anyway", action_id=MOVE_ACTION,
                      value=move_value(status, summary, waiver), style="danger")])])
