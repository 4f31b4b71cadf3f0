"""`/incident`: parse before ack (so a usage error shows at once), then do the work and respond."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from firehouse.errors import UsageError
from firehouse.notice_desk import NoticeDesk
from firehouse.service import IncidentService, Outcome
from firehouse.slack import blocks
from firehouse.slack.gateway import Message
from firehouse.slack.grammar import (
    AssignRole,
    ChangeCause,
    ChangeClass,
    ChangeSeverity,
    ChangeStatus,
    Command,
    Declare,
    DraftNotice,
    HandOver,
    ListIncidents,
    Log,
    NotReportable,
    OpenDeclareModal,
    PostUpdate,
    RecordFacts,
    Resolve,
    SetAware,
    SetDetected,
    ShowClock,
    ShowHelp,
    ShowRoles,
    ShowSummary,
    ShowTimeline,
    form_of,
    forms,
    parse,
)
from firehouse.slack.listeners.replies import guarded
from firehouse.slack.modals import declare_modal
from firehouse.comms.mrkdwn import escape, escape_keeping_users
from firehouse.statusboard import StatusBoard


def register(app: App, service: IncidentService, board: StatusBoard, desk: NoticeDesk) -> None:
    @app.command("/incident")
    def incident(ack: Ack, command: dict, respond: Respond) -> None:
        try:
            parsed = parse(command.get("text") or "", catalog=service.catalog)
        except UsageError as err:
            ack(text=err.reply, response_type="ephemeral")
            return
        if isinstance(parsed, ShowHelp):
            ack(text=blocks.help_message(forms(service.catalog), parsed.problem).text, response_type="ephemeral")
            return
        if isinstance(parsed, Declare):
            ack(text=f"Opening a war room for *{escape(parsed.title)}*…", response_type="ephemeral")
        else:
            ack()
        form = form_of(parsed, service.catalog)
        reply = guarded(lambda: run(parsed, service, board, desk, command), form=form)
        if reply:
            respond(text=reply.text, blocks=reply.blocks or None, response_type="ephemeral")


def run(parsed: Command, service: IncidentService, board: StatusBoard, desk: NoticeDesk,
        command: dict) -> Message | None:
    """Carry out a parsed command for the person who typed it; returns the ephemeral reply."""
    user, channel = command["user_id"], command["channel_id"]
    match parsed:
        case OpenDeclareModal():
            service.gateway.open_view(command["trigger_id"], declare_modal(service.catalog, origin_channel=channel))
            return None
        case Declare():
            outcome = service.declare(title=parsed.title, severity=parsed.severity, class_id=parsed.class_id, by=user)
            return blocks.declared(outcome.incident, to=user, problems=outcome.problems)
        case ListIncidents():
            return blocks.incident_list(service.open_incidents())
        case ShowTimeline():
            service.show_timeline(channel=channel, user=user)
            return None
        case ShowRoles():
            return blocks.roles_message(service.incident_in(channel), service.catalog.roles)
        case ShowSummary():
            return blocks.summary_message(service.incident_in(channel))
        case Log():
            return blocks.logged(service.log(channel=channel, by=user, text=parsed.text))
        case PostUpdate():
            return updated(board.post_update(channel=channel, by=user, text=parsed.text))
        case RecordFacts() if not parsed.facts:
            return blocks.facts_message(service.incident_in(channel))
        case RecordFacts():
            return _changed(desk.record_facts(channel=channel, by=user, facts=parsed.facts))
        case DraftNotice():
            notice = desk.draft(channel=channel, by=user, lane=parsed.lane, template=parsed.template,
                                regime=parsed.regime, stage=parsed.stage)
            return Message(text=f"Drafted {notice.lane} notice #{notice.id}: it is in the channel for review.")
        case ShowClock():
            return desk.clock_message(channel=channel)
        case NotReportable():
            desk.not_reportable(channel=channel, by=user, regime=parsed.regime, reason=parsed.reason)
            return Message(text="Recorded as not reportable; that regime's reminders stop."
                                " The record is in the channel.")
        case SetAware():
            return _changed(service.set_moment("aware", channel=channel, by=user, when=parsed.when))
    return _changed(_change(parsed, service, channel=channel, user=user))


def _change(parsed: Command, service: IncidentService, *, channel: str, user: str) -> Outcome:
    match parsed:
        case HandOver():
            return service.hand_over(channel=channel, by=user, to=parsed.user_id)
        case AssignRole():
            return service.assign_role(channel=channel, by=user, role=parsed.role, to=parsed.user_id)
        case ChangeSeverity():
            return service.change_severity(channel=channel, by=user, severity=parsed.severity, reason=parsed.reason)
        case ChangeClass():
            return service.change_class(channel=channel, by=user, class_id=parsed.class_id)
        case ChangeCause():
            return service.change_cause(channel=channel, by=user, cause=parsed.cause)
        case ChangeStatus():
            return service.change_status(channel=channel, by=user, status=parsed.status)
        case Resolve():
            return service.resolve(channel=channel, by=user, summary=parsed.summary, waiver=parsed.waiver)
        case SetDetected():
            return service.set_moment("detected", channel=channel, by=user, when=parsed.when)
    raise AssertionError(f"unhandled command {parsed!r}")


def updated(outcome: Outcome) -> Message:
    """The confirmation of a status update, with when the next one is due."""
    event = outcome.events[0]
    due = f" The next update is due at {event.next_due:%H:%M} UTC." if event.next_due else ""
    return blocks.with_problems(f"Update posted to the war room and the stakeholders.{due}", outcome.problems)


def _changed(outcome: Outcome) -> Message:
    """The confirmation of a change: its timeline entries, then whatever Slack refused."""
    done = "; ".join(escape_keeping_users(event.timeline_entry().text) for event in outcome.events)
    return blocks.with_problems(f"Done: {done}.", outcome.problems)
