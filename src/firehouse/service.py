"""What Firehouse does for each command: domain decision → store → effects in Slack.

Each method takes plain values, so listeners stay thin and tests can drive it directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from firehouse.config import Settings
from firehouse.domain.classes import DEFAULT_CLASS, IncidentClass
from firehouse.domain.events import TimelineEntry
from firehouse.domain.model import MAX_TEXT, Incident
from firehouse.domain.naming import war_room_name
from firehouse.domain.severity import Severity
from firehouse.errors import DomainError, NotAWarRoom, SlackFailure
from firehouse.slack import blocks
from firehouse.slack.gateway import Channel, Message, SlackGateway
from firehouse.slack.grammar import FORMS
from firehouse.store import UnitOfWork

log = logging.getLogger(__name__)

NAME_ATTEMPTS = 10


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Outcome:
    """What a command did, and the side effects that Slack refused (the change itself stands)."""

    incident: Incident
    problems: list[str] = field(default_factory=list)


class IncidentService:
    """The incident operations, wired to a store, a Slack gateway and a clock."""

    def __init__(
        self,
        *,
        engine: Engine,
        gateway: SlackGateway,
        settings: Settings,
        classes: Mapping[str, IncidentClass],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.settings = settings
        self.classes = classes
        self.clock = clock

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    # --- declaring ---------------------------------------------------------------------------

    def declare(
        self,
        *,
        title: str,
        by: str,
        severity: Severity = Severity.SEV3,
        class_id: str | None = None,
        captain: str | None = None,
        description: str = "",
        proposed: Severity | None = None,
        override_reason: str = "",
    ) -> Outcome:
        """Declare an incident: open its war room, record it, then brief the room and the stakeholders."""
        incident_class = self.classes[class_id or DEFAULT_CLASS]
        if captain and captain != by:
            self._require_person(captain)
        incident, declared = Incident.declare(
            title=title, severity=severity, incident_class=incident_class, by=by, at=self.clock(),
            captain=captain, description=description, proposed=proposed, override_reason=override_reason,
        )
        room = self._open_war_room(incident)
        incident.channel_id, incident.channel_name = room.id, room.name
        with self.unit_of_work() as uow:
            uow.incidents.add(incident, [declared])
            uow.commit()
        outcome = Outcome(incident)
        self._effect(outcome, "invite you", lambda: self.gateway.invite(room.id, [by, incident.captain]))
        self._effect(outcome, "set the topic", lambda: self.gateway.set_topic(room.id, blocks.topic(incident)))
        self._effect(outcome, "post the kickoff",
                     lambda: self.gateway.post(room.id, blocks.kickoff(incident, incident_class)))
        if self.settings.stakeholder_channel:
            self._effect(outcome, "announce it in the stakeholder channel",
                         lambda: self._broadcast(blocks.stakeholder_announcement(incident)))
        return outcome

    def _open_war_room(self, incident: Incident) -> Channel:
        for attempt in range(NAME_ATTEMPTS):
            name = war_room_name(prefix=self.settings.channel_prefix, declared_at=incident.declared_at,
                                 title=incident.title, attempt=attempt)
            try:
                return self.gateway.create_channel(name, private=incident.private)
            except SlackFailure as failure:
                if failure.error != "name_taken":
                    raise
        raise SlackFailure("conversations.create", f"name_taken for {NAME_ATTEMPTS} names like {name}")

    def _broadcast(self, message: Message) -> None:
        """Post in the stakeholder channel, joining it first if the bot was never added (public only)."""
        channel = self.settings.stakeholder_channel
        try:
            self.gateway.post(channel, message)
        except SlackFailure as failure:
            if failure.error != "not_in_channel":
                raise
            self.gateway.join(channel)
            self.gateway.post(channel, message)

    # --- inside a war room ---------------------------------------------------------------------

    def war_room(self, channel: str, *, form: str) -> Incident:
        """The incident whose war room `channel` is, or NotAWarRoom showing `form`."""
        with self.unit_of_work() as uow:
            return _in_war_room(uow, channel, form=form)

    def hand_over(self, *, channel: str, by: str, to: str) -> Outcome:
        """Make `to` the fire captain of the war room in `channel`."""
        self.war_room(channel, form=FORMS["captain"])
        self._require_person(to)
        with self.unit_of_work() as uow:
            incident = _in_war_room(uow, channel, form=FORMS["captain"])
            handed_over = incident.hand_over(to=to, by=by, at=self.clock())
            uow.incidents.save(incident, [handed_over])
            uow.commit()
        outcome = Outcome(incident)
        self._effect(outcome, "invite the new captain", lambda: self.gateway.invite(channel, [to]))
        self._effect(outcome, "announce the handover",
                     lambda: self.gateway.post(channel, blocks.captain_announcement(handed_over)))
        self._effect(outcome, "update the topic", lambda: self.gateway.set_topic(channel, blocks.topic(incident)))
        return outcome

    def log(self, *, channel: str, by: str, text: str, kind: str = "log") -> TimelineEntry:
        """Append a responder's line to the timeline."""
        with self.unit_of_work() as uow:
            incident = _in_war_room(uow, channel, form=FORMS["log"])
            logged = incident.log(text=text, by=by, at=self.clock(), kind=kind)
            uow.incidents.record(incident, [logged])
            uow.commit()
        return logged.timeline_entry()

    def show_timeline(self, *, channel: str, user: str) -> int:
        """Show `user` the whole timeline as ephemeral messages; returns how many messages it took."""
        incident = self.war_room(channel, form=FORMS["timeline"])
        with self.unit_of_work() as uow:
            entries = uow.incidents.timeline(incident.id)
        messages = blocks.timeline_messages(incident, entries)
        for message in messages:
            self.gateway.post_ephemeral(channel, user, message)
        return len(messages)

    def pin_to_timeline(self, *, channel: str, ts: str, by: str) -> TimelineEntry:
        """Copy a war-room message into the timeline, quoting who wrote it."""
        self.war_room(channel, form=FORMS["log"])
        message = self.gateway.message(channel, ts)
        if message is None:
            raise DomainError("That message is gone, so it was not added to the timeline.")
        author = f"<@{message['user']}>" if message.get("user") else "A bot"
        quoted = f"{author} wrote: {message.get('text') or '(a message without text)'}"
        if len(quoted) > MAX_TEXT:
            quoted = quoted[: MAX_TEXT - 1] + "…"
        return self.log(channel=channel, by=by, text=quoted, kind="pinned")

    def first_delivery(self, event_id: str) -> bool:
        """False when Slack delivered this event before (a retry); remembers it otherwise."""
        with self.unit_of_work() as uow:
            first = uow.incidents.first_delivery(event_id, at=self.clock())
            uow.commit()
        return first

    def open_incidents(self) -> list[Incident]:
        with self.unit_of_work() as uow:
            return uow.incidents.open_incidents()

    # --- helpers -------------------------------------------------------------------------------

    def _require_person(self, user_id: str) -> None:
        person = self.gateway.person(user_id)
        if person is None:
            raise DomainError(f"I can't find <@{user_id}> in this workspace.")
        if person.is_bot or person.deleted:
            raise DomainError(f"<@{user_id}> is {'a bot' if person.is_bot else 'deactivated'};"
                              " a fire captain must be a person who can answer.")

    @staticmethod
    def _effect(outcome: Outcome, what: str, action: Callable[[], object]) -> None:
        """Run a Slack side effect; a refusal is reported, not fatal, because the change is recorded."""
        try:
            action()
        except SlackFailure as failure:
            log.warning("could not %s for incident %s: %s", what, outcome.incident.id, failure.error)
            outcome.problems.append(f"I couldn't {what} (Slack said `{failure.error}`).")


def _in_war_room(uow: UnitOfWork, channel: str, *, form: str) -> Incident:
    incident = uow.incidents.by_channel(channel)
    if incident is None:
        raise NotAWarRoom(
            f"This channel is not a war room. Use `{form}` in an incident's war room, or `/incident list` to find one."
        )
    return incident
