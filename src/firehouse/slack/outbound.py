"""The outbound side the use cases talk to: events and effects in, Block Kit and Web API calls out."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from firehouse.comms.context import UpdateView, clock, firebreak_views, template_context
from firehouse.comms.drill_chart import drill_chart
from firehouse.comms.mrkdwn import escape, escape_keeping_users
from firehouse.comms.postmortem import RenderedPostmortem
from firehouse.comms.signal_chart import markers_of, signal_chart
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config import Settings
from firehouse.domain.afteraction import PostmortemVersion
from firehouse.domain.classes import IncidentClass
from firehouse.domain.drills import DrillRun
from firehouse.domain.events import CaptainHandedOver, Event, RoleAssigned, TimelineEntry
from firehouse.domain.firebreaks import Firebreak
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice
from firehouse.domain.routing import Routed
from firehouse.domain.signals import Reading
from firehouse.errors import SlackFailure
from firehouse.slack import (
    afteraction_blocks,
    alert_blocks,
    announcements,
    blocks,
    board_blocks,
    drill_blocks,
    notice_blocks,
    paging_blocks,
    signal_blocks,
    war_room_blocks,
)
from firehouse.slack.gateway import Message, SlackGateway
from firehouse.slack.limits import will_be_cut
from firehouse.slack.outbox import Outbox
from firehouse.store import UnitOfWork
from firehouse.store.destinations import WORKSPACE
from firehouse.store.tables import OutboxRow
from firehouse.usecases.effects import (
    AlertPost,
    Checklist,
    DeadlineReminder,
    DrillInject,
    DrillReport,
    Effect,
    FollowUpReminder,
    LockNudge,
    Prompt,
    Reminder,
    RoomLostNote,
    SignalNote,
    StakeholdersLostNote,
    StatusUpdate,
)
from firehouse.usecases.ports import Channel, Person, Post

log = logging.getLogger(__name__)

PERSON_TTL = 60.0  # seconds a users.info answer is trusted: an alert storm or a busy war room asks once a minute
GROUP_TTL = 60.0  # and a user group's members: routing rules and admin checks ask once a minute
# One side effect: what it is, in words for a refusal ("I couldn't …"), and the call that does it.
Action = tuple[str, Callable[[], object]]


class SlackOutbound:
    """Implements `usecases.ports.Outbound` with the gateway, the outbox and the Block Kit views."""

    def __init__(self, *, gateway: SlackGateway, outbox: Outbox, settings: Settings, templates: TemplateCatalogue,
                 fan_out: Executor) -> None:
        self.gateway = gateway
        self.outbox = outbox
        self.settings = settings
        self.templates = templates
        self.fan_out = fan_out  # runs independent Web API calls at the same time
        self._people: dict[str, tuple[float, Person]] = {}  # user id → (when asked, who Slack said it is)
        self._people_lock = threading.Lock()
        self._groups: dict[str, tuple[float, Future[frozenset[str]]]] = {}  # user group → (when asked, members)
        self._lookups = ThreadPoolExecutor(2, thread_name_prefix="firehouse-groups")  # read ahead of a briefing

    # --- asking Slack ------------------------------------------------------------------------------

    def create_channel(self, name: str, *, private: bool) -> Channel:
        return self.gateway.create_channel(name, private=private)

    def person(self, user_id: str) -> Person | None:
        """The Slack user, remembered for PERSON_TTL seconds (one not found is asked again next time)."""
        now = time.monotonic()
        with self._people_lock:
            asked = self._people.get(user_id)
        if asked and now - asked[0] < PERSON_TTL:
            return asked[1]
        found = self.gateway.person(user_id)
        if found is not None:
            with self._people_lock:
                self._people[user_id] = (now, found)
        return found

    def is_private(self, channel: str) -> bool:
        return self.gateway.is_private(channel)

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        """The group's members, remembered for GROUP_TTL seconds (a failed lookup is asked again next time)."""
        return self._group(usergroup, ahead=False).result()

    def expect_groups(self, usergroups: Sequence[str]) -> None:
        """Start reading these user groups' members now, beside the channel's creation, so the briefing that
        invites them does not wait for another round trip."""
        for group in dict.fromkeys(usergroups):
            self._group(group, ahead=True)

    def _group(self, group: str, *, ahead: bool) -> Future[frozenset[str]]:
        now = time.monotonic()
        with self._people_lock:
            asked = self._groups.get(group)
            if asked and now - asked[0] < GROUP_TTL and not (asked[1].done() and asked[1].exception()):
                return asked[1]
            future: Future[frozenset[str]] = Future()
            self._groups[group] = (now, future)

        def fill() -> None:
            try:
                future.set_result(self.gateway.usergroup_members(group))
            except BaseException as err:  # noqa: BLE001 - handed to whoever waits on it
                future.set_exception(err)

        if ahead:
            self._lookups.submit(fill)
        else:
            fill()
        return future

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return self.gateway.message(channel, ts)

    # --- telling Slack now ---------------------------------------------------------------------------

    def brief(self, incident: Incident, incident_class: IncidentClass, *, invite: Sequence[str],
              routes: Sequence[Routed] = ()) -> list[str]:
        """A new war room: the kickoff, the topic, the invitations (the routing rules' too) and the stakeholder
        announcement (and the rules' announcements), sent at once: one round trip after the channel was created."""
        room = incident.channel_id
        notes: list[str] = []
        kickoff = blocks.kickoff(incident, incident_class)
        if routes:
            kickoff = Message(kickoff.text, [*kickoff.blocks, *map(blocks.context, map(paging_blocks.routed, routes))])
        kickoff = self._checked("the kickoff", marked(incident, kickoff), notes)
        actions: list[Action] = [
            ("post the kickoff", partial(self.gateway.post, room, kickoff)),
            ("set the topic", partial(self.gateway.set_topic, room, blocks.topic(incident))),
        ]
        actions += self._invitations(room, [*invite, *(who for r in routes if not r.drill for who in r.invite)], notes)
        actions += self._broadcast(incident, self._checked("the stakeholder announcement", marked(
            incident, blocks.stakeholder_announcement(incident), for_stakeholders=True), notes), self._refusing())
        actions += self._announcements(incident, routes, blocks.stakeholder_announcement(incident))
        return notes + self._run(actions, incident_id=incident.id)

    def publish(self, incident: Incident, events: Sequence[Event]) -> list[str]:
        """Tell the war room and the stakeholders what changed, invite who joined, refresh the topic. The
        war room's announcements keep their order; the rest goes at the same time."""
        room = incident.channel_id
        in_room: list[Message] = []
        actions: list[Action] = []
        notes: list[str] = []
        routes = [event for event in events if isinstance(event, Routed)]
        refusing = self._refusing()
        actions += self._invitations(room, [who for r in routes if not r.drill for who in r.invite], notes)
        actions += self._announcements(incident, routes, blocks.stakeholder_announcement(incident))
        for event in events:
            if isinstance(event, CaptainHandedOver | RoleAssigned):
                person = event.captain if isinstance(event, CaptainHandedOver) else event.holder
                actions.append((f"invite <@{person}>", partial(self.gateway.invite, room, [person])))
            if message := announcements.for_war_room(event, incident, self.settings.catalog):
                in_room.append(self._checked("the war room's announcement", marked(incident, message), notes))
            if message := announcements.for_stakeholders(event, incident):
                actions += self._broadcast(incident, self._checked("the stakeholder announcement", marked(
                    incident, message, for_stakeholders=True), notes), refusing)
        if in_room and not self._owed_instead(incident, room, in_room, refusing):
            actions.append(("announce it in the war room", partial(self._post_all, incident, room, in_room)))
        if any(announcements.changes_topic(event) for event in events):
            actions.append(("update the topic", partial(self.gateway.set_topic, room, blocks.topic(incident))))
        return notes + self._run(actions, incident_id=incident.id)

    def show_timeline(self, incident: Incident, entries: Sequence[TimelineEntry], *, channel: str,
                      user: str) -> int:
        messages = blocks.timeline_messages(incident, entries)
        for message in messages:
            self.gateway.post_ephemeral(channel, user, message)
        return len(messages)

    def show_notice(self, notice: Notice, *, incident: Incident, missing: Sequence[str] = ()) -> str | None:
        channel = incident.channel_id
        message = marked(incident, notice_blocks.notice_message(notice, missing=missing, drill=incident.drill,
                                                                publish_to=self._status_pages()))
        if notice.message_ts:
            self.gateway.update(channel, notice.message_ts, message)
            return None
        return self.gateway.post(channel, message)

    def _status_pages(self) -> str | None:
        """Where Publish sends a product notice, in words (None: no status page is configured)."""
        pages = self.settings.status_page
        named = [name for name, on in (("Statuspage", pages.statuspage), ("the public status page", pages.firehouse))
                 if on]
        return " and ".join(named) or None

    def show_postmortem(self, incident: Incident, rendered: RenderedPostmortem, *, version: PostmortemVersion,
                        by: str) -> list[str]:
        """The draft as a Markdown file in the war room, then the message with what is left and Publish."""
        room = incident.channel_id
        to_write = rendered.text.count("[to write:")
        comment = f"Postmortem draft, version {version.version} (drafted by <@{by}>)."
        return self._run([
            ("upload the postmortem draft", lambda: self.gateway.upload(
                room, content=rendered.text, filename=f"postmortem-incident-{incident.id}-v{version.version}.md",
                title=rendered.title, comment=f"{DRILL_TEXT}{comment}" if incident.drill else comment)),
        ], incident_id=incident.id) + self._run([
            ("post the postmortem's summary", partial(self.gateway.post, room, marked(
                incident, afteraction_blocks.postmortem_posted(incident, version=version.version, to_write=to_write)))),
        ], incident_id=incident.id)

    def show_drill_chart(self, incident: Incident, *, run: DrillRun, previous: DrillRun | None) -> list[str]:
        """The chart of a drill's report as a PNG file in its war room (the report itself goes through the outbox)."""
        offsets = self.settings.board.first_hour

        def upload_chart() -> None:
            chart = drill_chart(run.report, offsets=offsets, previous=previous.report if previous else None)
            self.gateway.upload(incident.channel_id, content=chart,
                                filename=f"drill-{run.scenario.name}-incident-{incident.id}.png",
                                title=f"DRILL {run.scenario.name}: readiness against the 60-minute flow",
                                comment=f"{DRILL_TEXT}The phase times against the {drill_blocks.flow(offsets)} minute"
                                        " flow" + (", with the run before in grey." if previous else "."))

        return self._run([("upload the drill's chart", upload_chart)], incident_id=incident.id)

    def show_signal_chart(self, incident: Incident, reading: Reading, *, firebreaks: Sequence[Firebreak],
                          comment: str) -> list[str]:
        """A watched signal's chart as a PNG file in the war room: the signal, its baseline, the incident's moments."""
        def upload_chart() -> None:
            chart = signal_chart(reading, markers=markers_of(incident, firebreaks), window=self.settings.watch.window,
                                 title=f"{reading.signal.label} · incident {incident.id}")
            self.gateway.upload(incident.channel_id, content=chart,
                                filename=f"signal-{reading.signal.name}-incident-{incident.id}.png",
                                title=f"{reading.signal.label} against its baseline", comment=escape(comment))

        return self._run([("upload the signal's chart", upload_chart)], incident_id=incident.id)

    def open_form(self, trigger_id: str, view: Any) -> None:
        self.gateway.open_view(trigger_id, view)

    def update_form(self, view_id: str, view: Any, *, hash: str | None = None) -> None:
        self.gateway.update_view(view_id, view, hash=hash)

    def share_chart(self, channel: str, *, image: bytes, filename: str, title: str, comment: str) -> None:
        self.gateway.upload(channel, content=image, filename=filename, title=title, comment=comment)

    def share_file(self, channel: str, *, path: Path, filename: str, title: str, comment: str) -> None:
        self.gateway.upload(channel, file=path, filename=filename, title=title, comment=comment)

    # --- telling Slack through the outbox ----------------------------------------------------------------

    def direct(self, people: Sequence[str], effect: Effect) -> list[str]:
        message = self.render(effect)
        return self._run([(f"tell <@{person}>", partial(self.gateway.post, person, message)) for person in people],
                         incident_id=None)

    def members(self, channel: str) -> list[str]:
        return self.gateway.members(channel)

    def invite(self, channel: str, people: Sequence[str]) -> list[str]:
        notes: list[str] = []
        actions = self._invitations(channel, people, notes)
        return notes + self._run(actions, incident_id=None)

    def block(self, channel: str, reason: str) -> bool:
        return self.outbox.block(channel, reason)

    def abandon(self, channel: str, reason: str) -> int:
        return self.outbox.abandon(channel, reason)

    def unblock(self, channel: str) -> bool:
        return self.outbox.unblock(channel)

    def send_owed(self, channel: str) -> int:
        return self.outbox.send_owed(channel)

    def owe(self, uow: UnitOfWork, incident: Incident, posts: Sequence[Post]) -> list[OutboxRow]:
        return self.outbox.add(uow.session, incident.id, [
            (p.kind, p.channel, marked(incident, self.render(p.effect), for_stakeholders=_for_stakeholders(p.effect)),
             p.due_at) for p in posts])

    def deliver(self, owed: Sequence[OutboxRow]) -> int:
        return self.outbox.deliver(owed)

    def render(self, effect: Effect) -> Message:
        """The Block Kit message of an effect."""
        match effect:
            case Prompt():
                return board_blocks.prompt(incident_id=effect.incident_id, captain=effect.captain, due=effect.due,
                                           snooze_minutes=effect.snooze_minutes)
            case Reminder():
                return board_blocks.reminder(
                    incident_id=effect.incident_id, captain=effect.captain, due=effect.due, next_due=effect.next_due,
                    missed=effect.missed, escalate_to=effect.escalate_to, snooze_minutes=effect.snooze_minutes)
            case Checklist():
                return board_blocks.checklist(captain=effect.captain, elapsed=effect.elapsed, items=effect.items)
            case DeadlineReminder():
                return notice_blocks.deadline_reminder(deadline=effect.deadline, point=effect.point,
                                                       legal=effect.legal, captain=effect.captain)
            case StatusUpdate():
                return self._status_update(effect)
            case FollowUpReminder():
                return afteraction_blocks.follow_up_reminder(action=effect.action, incident=effect.incident,
                                                             days=effect.days)
            case LockNudge():
                return afteraction_blocks.lock_nudge(incident=effect.incident, missing=effect.missing)
            case DrillInject():
                return drill_blocks.inject(offset=effect.offset, text=effect.text, alarm=effect.alarm)
            case DrillReport():
                return drill_blocks.report(effect.run, previous=effect.previous)
            case SignalNote():
                return signal_blocks.note(kind=effect.kind, lines=effect.lines, captain=effect.captain)
            case RoomLostNote():
                return war_room_blocks.room_lost(effect.incident, channel=effect.channel, reason=effect.reason,
                                                 by=effect.by)
            case StakeholdersLostNote():
                return war_room_blocks.stakeholders_lost(channel=effect.channel, reason=effect.reason)
            case AlertPost():
                return alert_blocks.alert_post(source=effect.source, kind=effect.kind, alerts=effect.alerts,
                                               group_key=effect.group_key, rule=effect.rule)
        raise TypeError(f"no view for {effect!r}")

    def _status_update(self, effect: StatusUpdate) -> Message:
        """The internal/update template; a private incident is named only by number outside its war room."""
        incident, update = effect.incident, effect.update
        context = template_context(
            incident, catalog=self.settings.catalog, facts={}, now=effect.at, for_slack=True,
            next_update_at=effect.next_due, discreet=effect.for_stakeholders and incident.private,
            update=update and UpdateView(text=escape_keeping_users(update.text), author=f"<@{update.by}>",
                                         posted_at=clock(update.at)),
            last_update_at=clock(incident.last_update_at),
            firebreaks=[] if effect.for_stakeholders and incident.private
            else firebreak_views(effect.firebreaks, for_slack=True),
            signals=[] if effect.for_stakeholders and incident.private else [escape(line) for line in effect.signals],
        )
        return board_blocks.rendered(self.templates.render("internal/update", context).text)

    # --- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _checked(what: str, message: Message, notes: list[str]) -> Message:
        """`message`, with a note for the person whose command it announces when the gateway will have to leave
        part of it out to fit Slack's limits (the message itself says so too, and the rest still goes out; the
        gateway logs it)."""
        if will_be_cut(message.blocks):
            notes.append(f"Part of {what} was too long for Slack and was left out; the full text is on the"
                         " timeline (`/incident timeline`).")
        return message

    def _refusing(self) -> frozenset[str]:
        """The channels Slack takes no posts in until a person acts (`*`: every one), read once per change."""
        return frozenset(self.outbox.destinations.blocked())

    def _owed_instead(self, incident: Incident, channel: str, messages: Sequence[Message],
                      refusing: frozenset[str]) -> bool:
        """Whether `channel` takes no posts until a person acts; then the announcements are owed there instead,
        and go out in order with what else waits (or to the war room that replaces an archived one)."""
        if channel not in refusing and WORKSPACE not in refusing:
            return False
        self._owe_announcements(incident, channel, messages)
        return True

    def _owe_announcements(self, incident: Incident, channel: str, messages: Sequence[Message]) -> None:
        self.outbox.owe(incident.id, [("announcement", channel, message, self.outbox.clock()) for message in messages])

    def _post_all(self, incident: Incident, channel: str, messages: Sequence[Message]) -> None:
        """Post in order; refused for good as the channel needs a person, what is left is owed there instead (the
        first refusal records the channel, and the people who can act are told)."""
        for index, message in enumerate(messages):
            try:
                self.gateway.post(channel, message)
            except SlackFailure as failure:
                if not self.outbox.refused(channel, failure):
                    raise
                self._owe_announcements(incident, channel, messages[index:])
                return

    def _broadcast(self, incident: Incident, message: Message, refusing: frozenset[str]) -> list[Action]:
        """Post in the stakeholder channel (the gateway joins it first if the bot was never added, public only)."""
        channel = incident.stakeholder_channel(self.settings.stakeholder_channel)
        if not channel or self._owed_instead(incident, channel, [message], refusing):
            return []
        return [("announce it in the stakeholder channel", partial(self._post_all, incident, channel, [message]))]

    def _invitations(self, room: str, invite: Sequence[str], notes: list[str]) -> list[Action]:
        """One invitation per person, user groups expanded to their members (read ahead: see `expect_groups`)."""
        people: list[str] = []
        for who in dict.fromkeys(invite):
            if not who.startswith("S"):
                people.append(who)
                continue
            try:
                people += sorted(self.usergroup_members(who))
            except SlackFailure as failure:
                log.warning("could not read the user group %s: %s", who, failure.error)
                notes.append(f"I couldn't read the user group <!subteam^{who}> to invite it (Slack said"
                             f" `{failure.error}`).")
        people = list(dict.fromkeys(people))
        if not people:
            return []
        who = f"<@{people[0]}>" if len(people) == 1 else f"{len(people)} people"
        return [(f"invite {who}", partial(self.gateway.invite, room, people))]

    def _announcements(self, incident: Incident, routes: Sequence[Routed], message: Message) -> list[Action]:
        """The routing rules' announcements in other channels, discreet for a private incident (as the stakeholder
        channel's is); a drill announces nowhere."""
        channels = dict.fromkeys(channel for route in routes if not route.drill for channel in route.announce)
        return [(f"announce it in <#{channel}>", partial(self.gateway.post, channel, message)) for channel in channels]

    def _run(self, actions: Sequence[Action], *, incident_id: int | None) -> list[str]:
        """Run the side effects at the same time; a refusal is reported, not fatal, since the change is
        recorded. A lone action runs right here."""
        if len(actions) == 1:
            return [p for p in [self._attempt(*actions[0], incident_id=incident_id)] if p]
        futures = [self.fan_out.submit(self._attempt, what, action, incident_id=incident_id)
                   for what, action in actions]
        return [problem for future in futures if (problem := future.result())]

    def _attempt(self, what: str, action: Callable[[], object], *, incident_id: int | None) -> str | None:
        try:
            action()
        except SlackFailure as failure:
            log.warning("could not %s for incident %s: %s", what, incident_id, failure.error)
            # a post refused for good: the outbox's posts there wait from now on (an upload or a topic refused
            # for a scope of its own says nothing about posts)
            if failure.method == "chat.postMessage" and failure.channel:
                self.outbox.refused(failure.channel, failure)
            return f"I couldn't {what} (Slack said `{failure.error}`)."
        return None


DRILL_TEXT = "[DRILL] "  # what a drill's every post starts with, in notifications and screen readers too
DRILL_NOTE = ":construction: *DRILL*: a practice incident. Nothing here is real, nothing is sent outside."
DRILL_STAKEHOLDERS = (":construction: *DRILL*: what the stakeholder channel would hear. It stays in this"
                      " war room.")


def marked(incident: Incident, message: Message, *, for_stakeholders: bool = False) -> Message:
    """A drill's post says DRILL first, in its text and at the top of its blocks; a real incident's is as it is."""
    if not incident.drill:
        return message
    note = blocks.context(DRILL_STAKEHOLDERS if for_stakeholders else DRILL_NOTE)
    return Message(text=DRILL_TEXT + message.text, blocks=[note, *message.blocks])


def _for_stakeholders(effect: Effect) -> bool:
    return isinstance(effect, StatusUpdate) and effect.for_stakeholders
