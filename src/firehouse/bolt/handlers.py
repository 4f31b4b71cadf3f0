"""What each `/incident` subcommand does: call its use case, and say what happened to the person.

A handler takes the parsed command and the request, and returns the ephemeral reply (or None when the
use case already answered, e.g. by opening a modal). Errors are turned into replies by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from firehouse.commands.afteraction import (
    AddAction, Close, DraftPostmortem, NoFixture, OpenFixtureForm, PostmortemNote, PublishPostmortem,
    ShowActions,
)
from firehouse.commands.containment import LiftFirebreak, PullFirebreak, RecordFirebreak, ShowFirebreaks
from firehouse.commands.drills import EndDrill, PickDrill, StartDrill
from firehouse.commands.evidence import Freeze, OpenSnapshotForm, ShowSnapshots
from firehouse.commands.incidents import (
    AssignRole, ChangeCause, ChangeClass, ChangeSeverity, ChangeStatus, Declare, HandOver, ListIncidents,
    OpenDeclareModal, Resolve, ShowRoles,
)
from firehouse.commands.notices import DraftNotice, NotReportable, RecordFacts, ShowClock
from firehouse.commands.stats import ShowStats
from firehouse.commands.timeline import Log, PostUpdate, SetAware, SetDetected, ShowSummary, ShowTimeline
from firehouse.comms.mrkdwn import escape_keeping_users
from firehouse.comms.trend_chart import trend_chart
from firehouse.domain.stats import Numbers
from firehouse.errors import SlackFailure
from firehouse.slack import (
    afteraction_blocks, blocks, drill_blocks, evidence_blocks, firebreak_blocks, notice_blocks, stats_blocks,
)
from firehouse.slack.gateway import Message, SlackGateway
from firehouse.slack.modals import declare_modal
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.containment import Containment, Unconfirmed
from firehouse.usecases.drills import Drills
from firehouse.usecases.evidence import Evidence
from firehouse.usecases.incidents import IncidentService, Outcome
from firehouse.usecases.notices import DRILL_CLOCKS, NoticeDesk
from firehouse.usecases.stats import Stats
from firehouse.usecases.updates import Updates


@dataclass(frozen=True)
class Services:
    """The use cases the Slack edge calls, and the gateway for what only the edge does (modals, replies)."""

    incidents: IncidentService
    updates: Updates
    notices: NoticeDesk
    evidence: Evidence
    containment: Containment
    afteraction: AfterAction
    stats: Stats
    drills: Drills
    gateway: SlackGateway


@dataclass(frozen=True)
class Request:
    """Who typed the command, where, and what they can reach."""

    user: str
    channel: str
    trigger_id: str
    services: Services


# --- anywhere ------------------------------------------------------------------------------------


def open_declare_modal(command: OpenDeclareModal, req: Request) -> None:
    catalog = req.services.incidents.catalog
    req.services.gateway.open_view(req.trigger_id, declare_modal(catalog, origin_channel=req.channel))


def declare(command: Declare, req: Request) -> Message:
    outcome = req.services.incidents.declare(title=command.title, severity=command.severity,
                                             class_id=command.class_id, by=req.user)
    return blocks.declared(outcome.incident, to=req.user, problems=outcome.problems)


def list_incidents(command: ListIncidents, req: Request) -> Message:
    return blocks.incident_list(req.services.incidents.open_incidents(), req.services.afteraction.unlocked())


# --- in a war room: reading -------------------------------------------------------------------------


def show_roles(command: ShowRoles, req: Request) -> Message:
    incidents = req.services.incidents
    return blocks.roles_message(incidents.incident_in(req.channel), incidents.catalog.roles)


def show_summary(command: ShowSummary, req: Request) -> Message:
    return blocks.summary_message(req.services.incidents.incident_in(req.channel))


def show_timeline(command: ShowTimeline, req: Request) -> None:
    req.services.incidents.show_timeline(channel=req.channel, user=req.user)


def clock(command: ShowClock | NotReportable, req: Request) -> Message:
    if isinstance(command, NotReportable):
        req.services.notices.not_reportable(channel=req.channel, by=req.user, regime=command.regime,
                                            reason=command.reason)
        return Message(text="Recorded as not reportable; that regime's reminders stop. The record is in the channel.")
    incidents = req.services.incidents
    incident = incidents.incident_in(req.channel)
    if incident.drill:
        return Message(text=DRILL_CLOCKS)
    return notice_blocks.clock_message(
        incident.deadlines(incidents.settings.regimes), reported=incident.reported,
        not_reportable=incident.not_reportable, enabled=incidents.settings.regimes, class_id=incident.class_id,
        now=incidents.clock())


# --- in a war room: changing ---------------------------------------------------------------------


def hand_over(command: HandOver, req: Request) -> Message:
    return changed(req.services.incidents.hand_over(channel=req.channel, by=req.user, to=command.user_id))


def assign_role(command: AssignRole, req: Request) -> Message:
    return changed(req.services.incidents.assign_role(channel=req.channel, by=req.user, role=command.role,
                                                      to=command.user_id))


def change_severity(command: ChangeSeverity, req: Request) -> Message:
    return changed(req.services.incidents.change_severity(channel=req.channel, by=req.user,
                                                          severity=command.severity, reason=command.reason))


def change_class(command: ChangeClass, req: Request) -> Message:
    return changed(req.services.incidents.change_class(channel=req.channel, by=req.user, class_id=command.class_id))


def change_cause(command: ChangeCause, req: Request) -> Message:
    return changed(req.services.incidents.change_cause(channel=req.channel, by=req.user, cause=command.cause))


def change_status(command: ChangeStatus, req: Request) -> Message:
    return changed(req.services.incidents.change_status(channel=req.channel, by=req.user, status=command.status))


def resolve(command: Resolve, req: Request) -> Message:
    return changed(req.services.incidents.resolve(channel=req.channel, by=req.user, summary=command.summary,
                                                  waiver=command.waiver))


def set_detected(command: SetDetected, req: Request) -> Message:
    return changed(req.services.incidents.set_moment("detected", channel=req.channel, by=req.user,
                                                     when=command.when))


def set_aware(command: SetAware, req: Request) -> Message:
    return changed(req.services.incidents.set_moment("aware", channel=req.channel, by=req.user, when=command.when))


def log(command: Log, req: Request) -> Message:
    return blocks.logged(req.services.incidents.log(channel=req.channel, by=req.user, text=command.text))


def post_update(command: PostUpdate, req: Request) -> Message:
    return updated(req.services.updates.post_update(channel=req.channel, by=req.user, text=command.text))


def record_facts(command: RecordFacts, req: Request) -> Message:
    if not command.facts:
        return blocks.facts_message(req.services.incidents.incident_in(req.channel))
    return changed(req.services.notices.record_facts(channel=req.channel, by=req.user, facts=command.facts))


def draft_notice(command: DraftNotice, req: Request) -> Message:
    notice = req.services.notices.draft(channel=req.channel, by=req.user, lane=command.lane,
                                        template=command.template, regime=command.regime, stage=command.stage)
    return Message(text=f"Drafted {notice.lane} notice #{notice.id}: it is in the channel for review.")


# --- in a war room: evidence and containment ----------------------------------------------------------


def freeze(command: OpenSnapshotForm | Freeze, req: Request) -> Message | None:
    if isinstance(command, OpenSnapshotForm):
        open_snapshot_form(req.services, channel=req.channel, trigger_id=req.trigger_id)
        return None
    snapshot, outcome = req.services.evidence.snapshot(channel=req.channel, by=req.user, fields=dict(command.fields))
    return blocks.with_problems(evidence_blocks.frozen(snapshot).text, outcome.problems)


def open_snapshot_form(services: Services, *, channel: str, trigger_id: str) -> None:
    incident = services.incidents.incident_in(channel)
    services.gateway.open_view(trigger_id, evidence_blocks.snapshot_form(incident_id=incident.id))


def show_snapshots(command: ShowSnapshots, req: Request) -> Message:
    return evidence_blocks.snapshots_message(req.services.evidence.snapshots(channel=req.channel))


def firebreak(command: ShowFirebreaks | PullFirebreak | LiftFirebreak | RecordFirebreak,
              req: Request) -> Message:
    containment = req.services.containment
    match command:
        case ShowFirebreaks():
            board = containment.board(channel=req.channel)
            return firebreak_blocks.board(configured=board.configured, suggested=board.suggested,
                                          pulled=board.pulled, warnings=board.warnings, cause=board.incident.cause,
                                          evidence=board.evidence)
        case PullFirebreak():
            try:
                return pull(req.services, channel=req.channel, user=req.user, name=command.name, note=command.note)
            except Unconfirmed as first:  # say the warnings; the buttons pull anyway or open the snapshot form
                return firebreak_blocks.warned(name=command.name, note=command.note, warnings=first.warnings)
        case LiftFirebreak():
            done, outcome = containment.lift(channel=req.channel, by=req.user, which=command.which, note=command.note)
        case RecordFirebreak():
            done, outcome = containment.record(channel=req.channel, by=req.user, kind=command.kind,
                                               target=command.target, note=command.note)
    return blocks.with_problems(firebreak_blocks.pulled(done).text, outcome.problems)


def pull(services: Services, *, channel: str, user: str, name: str, note: str, confirmed: bool = False) -> Message:
    done, outcome = services.containment.pull(channel=channel, by=user, name=name, note=note, confirmed=confirmed)
    return blocks.with_problems(firebreak_blocks.pulled(done).text, outcome.problems)


# --- after the incident: the lock ------------------------------------------------------------------------


def add_action(command: AddAction, req: Request) -> Message:
    action, outcome = req.services.afteraction.add_action(channel=req.channel, by=req.user, text=command.text,
                                                          kind=command.kind, owner=command.owner, due=command.due)
    missing = "" if action.owned else " It needs an owner and a due date before the incident can be closed."
    return blocks.with_problems(f"Added follow-up action #{action.id}.{missing}", outcome.problems)


def show_actions(command: ShowActions, req: Request) -> Message:
    incident, actions = req.services.afteraction.actions(channel=req.channel)
    return afteraction_blocks.actions_message(incident, actions, now=req.services.incidents.clock())


def fixture(command: OpenFixtureForm | NoFixture, req: Request) -> Message | None:
    afteraction = req.services.afteraction
    if isinstance(command, NoFixture):
        return changed(afteraction.no_fixture(channel=req.channel, by=req.user, reason=command.reason))
    draft = afteraction.fixture_draft(channel=req.channel)
    prefill = {"system_prompt": draft.system_prompt, "input": draft.input, "bad_output": draft.bad_output,
               "target": draft.expected}
    req.services.gateway.open_view(req.trigger_id, afteraction_blocks.fixture_form(
        incident_id=draft.incident_id, snapshot_id=draft.snapshot_id, prefill=prefill))
    return None


def postmortem(command: DraftPostmortem | PostmortemNote | PublishPostmortem, req: Request) -> Message:
    afteraction = req.services.afteraction
    match command:
        case PostmortemNote():
            return changed(afteraction.note(channel=req.channel, by=req.user, section=command.section,
                                            text=command.text))
        case PublishPostmortem():
            incident = req.services.incidents.incident_in(req.channel)
            return published(*afteraction.publish_postmortem(incident_id=incident.id, by=req.user))
    version, problems = afteraction.draft_postmortem(channel=req.channel, by=req.user)
    return blocks.with_problems(f"Drafted the postmortem (version {version.version}): it is in the channel as a"
                                " file.", problems)


def published(version, outcome: Outcome) -> Message:
    return blocks.with_problems(f"Published postmortem version {version.version}; sha256 `{version.fingerprint}`.",
                                outcome.problems)


def close(command: Close, req: Request) -> Message:
    return changed(req.services.afteraction.close(channel=req.channel, by=req.user, waiver=command.waiver))


# --- practice --------------------------------------------------------------------------------------------


def drill(command: PickDrill | StartDrill | EndDrill, req: Request) -> Message:
    drills = req.services.drills
    match command:
        case StartDrill():
            return start_drill(req.services, name=command.scenario, user=req.user, channel=req.channel)
        case EndDrill():
            ended = drills.end(channel=req.channel, by=req.user)
            return blocks.with_problems(f"Drill ended: {ended.run.report.on_time} of"
                                        f" {len(ended.run.report.milestones)} milestones inside the flow. The report"
                                        " and its chart are in the channel.", ended.problems)
    scenarios = drills.scenarios()
    return drill_blocks.picker(scenarios.found, scenarios.problems)


def start_drill(services: Services, *, name: str, user: str, channel: str) -> Message:
    run, outcome = services.drills.start(name=name, by=user, channel=channel)
    return blocks.with_problems(drill_blocks.started(outcome.incident.channel_id, run), outcome.problems)


# --- replies ---------------------------------------------------------------------------------------


def updated(outcome: Outcome) -> Message:
    """The confirmation of a status update, with when the next one is due."""
    event = outcome.events[0]
    due = f" The next update is due at {event.next_due:%H:%M} UTC." if event.next_due else ""
    return blocks.with_problems(f"Update posted to the war room and the stakeholders.{due}", outcome.problems)


def changed(outcome: Outcome) -> Message:
    """The confirmation of a change: its timeline entries, then whatever Slack refused."""
    done = "; ".join(escape_keeping_users(event.timeline_entry().text) for event in outcome.events)
    return blocks.with_problems(f"Done: {done}.", outcome.problems)


# --- the numbers ---------------------------------------------------------------------------------------


def show_stats(command: ShowStats, req: Request) -> Message:
    """The numbers, to the person who asked; the weekly chart is shared in the channel where they asked."""
    numbers = req.services.stats.last(command.window)
    chart = share_trend(req, numbers, shown=command.shown) if numbers.total.incidents else None
    return stats_blocks.stats_message(numbers, shown=command.shown, chart=chart)


def share_trend(req: Request, numbers: Numbers, *, shown: str) -> str:
    """Upload the weekly chart where the command was typed; says where it went, or why it did not."""
    try:
        req.services.gateway.upload(
            req.channel, content=trend_chart(numbers), filename=f"incidents-by-week-{numbers.until:%Y-%m-%d}.png",
            title=f"Incidents by week, {shown}",
            comment=f"Incidents by week, {shown} (drills excluded): incidents declared, and the weekly median times"
                    " to contain and to resolve.")
    except SlackFailure as failure:
        return f"The weekly chart could not be posted here (Slack answered `{failure.error}`)."
    return "The weekly chart is posted in this channel."
