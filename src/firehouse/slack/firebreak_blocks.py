"""Block Kit for firebreaks: the list with a Pull button each (behind a confirmation that carries the
warnings), what is in force with a Lift button, and the warning reply before a typed pull."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from firehouse.comms.mrkdwn import escape
from firehouse.domain.firebreaks import KINDS, Configured, Firebreak, State
from firehouse.domain.times import hhmm
from firehouse.slack.evidence_blocks import SNAPSHOT_ACTION
from firehouse.slack.gateway import Message
from firehouse.slack.limits import BUTTON_VALUE, SECTION_TEXT, capped, sections, shorten

PULL_ACTION = "firebreak_pull"
LIFT_ACTION = "firebreak_lift"
CONFIRM_LIMIT = 300  # characters in a confirmation dialog's text


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def pull_value(name: str, note: str = "") -> str:
    """The Pull button's value: the name and the note, the note visibly shortened to fit a button's value."""
    value = json.dumps({"name": name, "note": note}, ensure_ascii=False)
    while len(value) > BUTTON_VALUE:
        note = shorten(note, len(note) - (len(value) - BUTTON_VALUE) - 1)
        value = json.dumps({"name": name, "note": note}, ensure_ascii=False)
    return value


def read_pull_value(value: str) -> tuple[str, str]:
    data = json.loads(value or "{}")
    return str(data.get("name", "")), str(data.get("note", ""))


def _confirm(item: Configured, warnings: Sequence[str]) -> ConfirmObject:
    text = " ".join(warnings) or f"This asks {item.executor} to {KINDS[item.kind]}: {item.target}."
    text = text if len(text) <= CONFIRM_LIMIT else text[: CONFIRM_LIMIT - 1] + "…"
    return ConfirmObject(title="Pull this firebreak?", text=text, confirm="Pull it", deny="Not yet",
                         style="danger")


def _state(firebreak: Firebreak) -> str:
    if firebreak.state is State.EXECUTED:
        return f"in force since {hhmm(firebreak.executed_at)}"
    if firebreak.state is State.FAILED:
        return f"failed: {escape(firebreak.answer)}"
    if firebreak.state is State.LIFTED:
        return f"lifted at {hhmm(firebreak.lifted_at)}"
    return f"requested at {hhmm(firebreak.requested_at)}"


def board(*, configured: Sequence[Configured], suggested: Sequence[str], pulled: Sequence[Firebreak],
          warnings: Mapping[str, Sequence[str]], cause: str | None, evidence: bool) -> Message:
    """The configured firebreaks, suggested first, with a Pull button each; then this incident's pulls."""
    blocks: list[Any] = []
    if not configured:
        blocks.append(_section("No firebreaks are configured for this deployment (`[firebreaks.<name>]` in the"
                               " config). Record one done by hand: `/incident firebreak record <kind> <target> [note]`."))
    latest = {f.name: f for f in pulled if f.name}
    for item in configured:
        hint = f" · _suggested for cause `{cause}`_" if item.name in suggested else ""
        state = f" · {_state(latest[item.name])}" if item.name in latest else ""
        text = f"*{escape(item.name)}* · {escape(item.described)} · via {item.executor}{hint}{state}"
        in_force = item.name in latest and latest[item.name].state is State.EXECUTED
        button = None if in_force else ButtonElement(
            text="Retry" if item.name in latest and latest[item.name].state is State.FAILED else "Pull",
            action_id=f"{PULL_ACTION}:{item.name}", value=pull_value(item.name), style="danger",
            confirm=_confirm(item, warnings.get(item.name, ())))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_TEXT)), accessory=button))
    forced = [f for f in pulled if f.state is State.EXECUTED]
    for firebreak in forced:
        blocks.append(SectionBlock(
            text=MarkdownTextObject(text=shorten(f":fire_extinguisher: #{firebreak.id} *{escape(firebreak.label)}*"
                                                 f" {_state(firebreak)} (<@{firebreak.requested_by}>)", SECTION_TEXT)),
            accessory=ButtonElement(text="Lift", action_id=f"{LIFT_ACTION}:{firebreak.id}",
                                    value=str(firebreak.id),
                                    confirm=ConfirmObject(title="Lift this firebreak?",
                                                          text=f"This undoes {firebreak.label[:200]}.",
                                                          confirm="Lift it", deny="Keep it"))))
    if not evidence:
        blocks.append(ActionsBlock(elements=[ButtonElement(text="Snapshot first", action_id=SNAPSHOT_ACTION,
                                                           value="form", style="primary")]))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="No evidence frozen yet: snapshot before you"
                                                                     " mutate.")]))
    text = f"{len(configured)} firebreak{'s' if len(configured) != 1 else ''} configured, {len(forced)} in force"
    return Message(text=text, blocks=capped(blocks, more="…more firebreaks than one message holds; pull the rest"
                                                         " by name with `/incident firebreak <name>`."))


def warned(*, name: str, note: str, warnings: Sequence[str]) -> Message:
    """Before a typed pull that has warnings: say them, then let the person pull anyway or snapshot first."""
    text = "\n".join(f":warning: {w}" for w in warnings)
    return Message(text=text, blocks=[
        *sections(text),
        ActionsBlock(elements=[
            ButtonElement(text="Snapshot first", action_id=SNAPSHOT_ACTION, value="form", style="primary"),
            ButtonElement(text=f"Pull {name[:40]} anyway", action_id=f"{PULL_ACTION}:{name}",
                          value=pull_value(name, note), style="danger"),
        ]),
    ])


def pulled(firebreak: Firebreak) -> Message:
    """The reply to whoever pulled, lifted or recorded a firebreak."""
    if firebreak.state is State.FAILED:
        return Message(text=f"Firebreak {firebreak.label} FAILED: {escape(firebreak.answer)}. It is not in force;"
                            " retry it from `/incident firebreak`, or record what you did by hand.")
    return Message(text=f"Firebreak #{firebreak.id} {firebreak.label}: {_state(firebreak)}."
                        f" Executor: {escape(firebreak.answer or 'by hand')}")
