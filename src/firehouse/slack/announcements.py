"""What the war room and the stakeholder channel are told about each event. Pure builders."""

from __future__ import annotations

from firehouse.comms.mrkdwn import escape, escape_keeping_users
from firehouse.domain.afteraction import Closed, PostmortemPublished
from firehouse.domain.classes import Catalog
from firehouse.domain.events import (
    CaptainConfirmed,
    CaptainHandedOver,
    CauseChanged,
    ClassChanged,
    Event,
    RoleAssigned,
    SeverityChanged,
    StatusChanged,
)
from firehouse.domain.firebreaks import FirebreakExecuted, FirebreakFailed, FirebreakLifted
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.pages import PageAcknowledged, PageAnswered, PageRequested
from firehouse.domain.routing import Routed
from firehouse.domain.snapshots import SnapshotTaken
from firehouse.domain.statuspage import StatusPublished
from firehouse.domain.war_rooms import StakeholdersReachable, WarRoomBack, WarRoomLost, WarRoomMoved
from firehouse.slack import notice_blocks, paging_blocks
from firehouse.slack.gateway import Message
from firehouse.slack.limits import sections

_TOPIC_EVENTS = (CaptainHandedOver, CaptainConfirmed, SeverityChanged, ClassChanged, StatusChanged, Closed,
                 WarRoomMoved)  # a new war room gets the topic its archived one had


def changes_topic(event: Event) -> bool:
    """Whether the event changes what the channel topic shows (severity, class, captain, status; closing too)."""
    return isinstance(event, _TOPIC_EVENTS)


def _message(text: str) -> Message:
    """An announcement in as many sections as it takes: a reason or summary of 3,000 characters can be several
    times that once escaped and worded."""
    return Message(text=text, blocks=sections(text))


def _reason(text: str) -> str:
    return f": {escape_keeping_users(text)}" if text else ""


def for_war_room(event: Event, incident: Incident, catalog: Catalog) -> Message | None:
    """The war-room announcement of `event`, or None when the timeline entry is enough."""
    match event:
        case CaptainHandedOver():
            return _message(f":firefighter: <@{event.captain}> is now the fire captain, taking over from"
                            f" <@{event.previous}> (handed over by <@{event.by}>).")
        case CaptainConfirmed():
            return _message(f":firefighter: <@{event.captain}> took the fire captain role.")
        case RoleAssigned():
            was = f", taking over from <@{event.previous}>" if event.previous else ""
            return _message(f":busts_in_silhouette: <@{event.holder}> is now *{event.role}*{was}"
                            f" (assigned by <@{event.by}>).")
        case SeverityChanged():
            verb = "escalated" if event.escalated else "de-escalated"
            return _message(f":rotating_light: <@{event.by}> {verb} the incident to *{event.severity.label}*"
                            f" (was {event.previous.label}){_reason(event.reason)}")
        case ClassChanged():
            description = catalog.classes[event.class_id].description
            return _message(f":label: <@{event.by}> reclassified the incident as `{event.class_id}`:"
                            f" {escape(description)} (was `{event.previous}`).")
        case CauseChanged():
            description = catalog.causes.get(event.cause, "")
            return _message(f":mag: Suspected cause: `{event.cause}`, {escape(description)} (set by <@{event.by}>).")
        case StatusChanged() if event.status is Status.CLOSED and incident.drill:
            return _message(f":checkered_flag: The drill is over: {escape(event.summary)}. Its readiness report"
                            " follows; the postmortem can still be drafted for practice.")
        case StatusChanged() if event.status is Status.RESOLVED:
            waiver = f"\nCustomer notice waived{_reason(event.waiver)}" if event.waiver else ""
            summary = f"\n*Summary*{_reason(event.summary)}" if event.summary else ""
            return _message(f":white_check_mark: <@{event.by}> resolved the incident.{summary}{waiver}")
        case StatusChanged() if event.reopened:
            return _message(f":rotating_light: <@{event.by}> reopened the incident: back to *investigating*.")
        case StatusChanged():
            return _message(f":traffic_light: Status: *{event.status}* (was {event.previous}), set by <@{event.by}>.")
        case SnapshotTaken():
            what = ", ".join(f"`{key}`" for key in event.keys) or "a trace"
            extra = f" Supersedes #{event.supersedes}." if event.supersedes else ""
            extra += f" Cut to fit: {', '.join(event.cut)}." if event.cut else ""
            return _message(f":camera_with_flash: <@{event.by}> froze snapshot #{event.snapshot_id}: {what}"
                            f" · sha256 `{event.fingerprint[:16]}`.{extra}")
        case FirebreakExecuted():
            return _message(f":fire_extinguisher: Firebreak *{escape(event.label)}* is in force."
                            f" Executor: {escape(event.answer)}")
        case FirebreakFailed():
            return _message(f":warning: Firebreak *{escape(event.label)}* FAILED. Executor: {escape(event.answer)}\n"
                            "Retry it from `/incident firebreak`, or do it by hand and record it with"
                            " `/incident firebreak record <kind> <target> [note]`.")
        case PostmortemPublished():
            return _message(f":page_facing_up: <@{event.by}> published postmortem version {event.version}"
                            f" · sha256 `{event.fingerprint[:16]}`.")
        case Closed():
            how = f" without the lock{_reason(event.waiver)}" if event.waiver else ": its lesson is locked in"
            return _message(f":lock: <@{event.by}> closed the incident{how}.")
        case FirebreakLifted():
            return _message(f":arrows_counterclockwise: <@{event.by}> lifted firebreak *{escape(event.label)}*."
                            f" Executor: {escape(event.answer)}{_reason(event.note)}")
        case Routed():
            return _message(paging_blocks.routed(event))
        case PageRequested() | PageAnswered() | PageAcknowledged():
            return _message(paging_blocks.for_war_room(event))
        case StatusPublished():
            return _message(notice_blocks.status_published(event, captain=incident.captain))
        case WarRoomMoved():  # said in the new room: the incident is the one that moved
            owed = {0: "", 1: " The post owed there follows."}.get(event.moved, f" The {event.moved} posts owed there"
                                                                                   " follow.")
            return _message(f":door: <@{event.by}> opened this war room in place of the archived <#{event.archived}>:"
                            f" incident #{incident.id}, its status prompts and its notices carry on here.{owed}")
        case WarRoomBack():
            return _message(":white_check_mark: Firehouse can post here again; what waited follows, in order.")
        case StakeholdersReachable():
            return _message(f":white_check_mark: Stakeholders hear from Firehouse again in <#{event.channel}>; the"
                            " updates that waited follow, in order.")
    return None


def for_stakeholders(event: Event, incident: Incident) -> Message | None:
    """What the stakeholder channel hears of `event`: severity changes, resolution and reopening.

    A private incident is named only by its number, and no reason or summary is repeated.
    """
    name = f"Private incident #{incident.id}" if incident.private else (
        f"*{escape(incident.title)}* (<#{incident.channel_id}>)")
    match event:
        case SeverityChanged():
            reason = "" if incident.private else _reason(event.reason)
            return _message(f":rotating_light: {name} is now *{event.severity.label}*"
                            f" (was {event.previous.label}){reason}")
        case StatusChanged() if event.status is Status.RESOLVED:
            summary = "" if incident.private else _reason(event.summary)
            return _message(f":white_check_mark: {name} is resolved{summary}")
        case StatusChanged() if event.reopened:
            return _message(f":rotating_light: {name} was reopened and is being investigated again.")
        case FirebreakExecuted():
            what = "a containment measure" if incident.private else f"*{escape(event.label)}*"
            return _message(f":fire_extinguisher: {name}: {what} is in force.")
        case FirebreakLifted():
            what = "a containment measure" if incident.private else f"*{escape(event.label)}*"
            return _message(f":arrows_counterclockwise: {name}: {what} was lifted.")
        case WarRoomLost() if not incident.drill:
            what = "was archived" if event.archived else "no longer takes Firehouse's posts"
            return _message(f":warning: {name}: its war room {what}; the fire captain was asked to"
                            f" {'open a new one' if event.archived else 'invite Firehouse back'}. Updates here"
                            " carry on.")
        case WarRoomMoved():  # `name` links the new room
            return _message(f":door: {name}: the incident carries on in a new war room.")
    return None
