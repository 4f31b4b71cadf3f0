"""`/incident`: parse before ack (so a usage error shows at once), then do the work and respond."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App, Respond

from firehouse.errors import FirehouseError, UsageError
from firehouse.service import IncidentService
from firehouse.slack import blocks
from firehouse.slack.grammar import (
    Command,
    Declare,
    HandOver,
    ListIncidents,
    Log,
    OpenDeclareModal,
    ShowHelp,
    ShowTimeline,
    parse,
)
from firehouse.slack.gateway import Message
from firehouse.slack.mrkdwn import escape
from firehouse.slack.modals import declare_modal

log = logging.getLogger(__name__)

SORRY = "Something went wrong on my side and nothing was changed. Try again in a moment."


def register(app: App, service: IncidentService) -> None:
    @app.command("/incident")
    def incident(ack: Ack, command: dict, respond: Respond) -> None:
        try:
            parsed = parse(command.get("text") or "", class_ids=service.classes)
        except UsageError as err:
            ack(text=err.reply, response_type="ephemeral")
            return
        if isinstance(parsed, ShowHelp):
            ack(text=blocks.help_message(parsed.problem).text, response_type="ephemeral")
            return
        if isinstance(parsed, Declare):
            ack(text=f"Opening a war room for *{escape(parsed.title)}*…", response_type="ephemeral")
        else:
            ack()
        reply = guarded(lambda: run(parsed, service, command))
        if reply:
            respond(text=reply.text, blocks=reply.blocks or None, response_type="ephemeral")


def guarded(action: Callable[[], Message | None]) -> Message | None:
    """Run `action`; a FirehouseError becomes its reply, anything else a plain apology (and a log line)."""
    try:
        return action()
    except FirehouseError as err:
        return Message(text=err.reply)
    except Exception:
        log.exception("command failed")
        return Message(text=SORRY)


def run(parsed: Command, service: IncidentService, command: dict) -> Message | None:
    """Carry out a parsed command for the person who typed it; returns the ephemeral reply."""
    user, channel = command["user_id"], command["channel_id"]
    if isinstance(parsed, OpenDeclareModal):
        service.gateway.open_view(command["trigger_id"], declare_modal(service.classes, origin_channel=channel))
        return None
    if isinstance(parsed, Declare):
        outcome = service.declare(title=parsed.title, severity=parsed.severity, class_id=parsed.class_id, by=user)
        return blocks.declared(outcome.incident, to=user, problems=outcome.problems)
    if isinstance(parsed, HandOver):
        outcome = service.hand_over(channel=channel, by=user, to=parsed.user_id)
        return blocks.with_problems(f"<@{parsed.user_id}> is now the fire captain.", outcome.problems)
    if isinstance(parsed, Log):
        return blocks.logged(service.log(channel=channel, by=user, text=parsed.text))
    if isinstance(parsed, ShowTimeline):
        service.show_timeline(channel=channel, user=user)
        return None
    if isinstance(parsed, ListIncidents):
        return blocks.incident_list(service.open_incidents())
    raise AssertionError(f"unhandled command {parsed!r}")
