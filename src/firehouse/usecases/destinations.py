"""When Slack takes no posts where an incident is talked about, until a person acts.

The outbox finds out (a post refused as `is_archived`, `channel_not_found`, `not_in_channel` in a private
channel) or Slack says so (`channel_archive`, `group_archive`); either way the destination is recorded once, and
`blocked` tells the people who can act, once:
- an open incident's war room: the timeline, the captain and the admins by direct message (an archived room's
  message offers **Open a new war room**), and the stakeholder channel (discreetly for a private incident);
- the stakeholder channel: every open incident's timeline and war room, and the admins by direct message.
`open_new_war_room` opens the new room: named after the old one, its members invited, the topic set, the posts
owed to the archived room moved to it, its open notices shown again there; the cadence carries on there, since
it follows the incident. `cleared` notes on the timeline that the war room takes posts again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import timedelta

from firehouse.domain.afteraction import Closed
from firehouse.domain.events import FIREHOUSE, Event, StatusChanged
from firehouse.domain.model import Incident
from firehouse.domain.notices import NoticeStatus
from firehouse.domain.permissions import Action
from firehouse.domain.war_rooms import (
    ARCHIVED,
    StakeholdersReachable,
    StakeholdersUnreachable,
    WarRoomBack,
    WarRoomLost,
)
from firehouse.errors import InvalidChange, SlackFailure
from firehouse.store import UnitOfWork
from firehouse.store.destinations import WORKSPACE
from firehouse.usecases.effects import RoomLostNote, StakeholdersLostNote
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.pipeline import Decision, Outcome, Target, by_id, change, write
from firehouse.usecases.ports import Post

log = logging.getLogger(__name__)

MOVING = timedelta(minutes=2)  # how long one click holds the opening of a new war room: longer than it takes
# A resolved incident's war room refusing for these reasons is done with: what waited there is given up, quietly.
# Refused for another (Firehouse removed from it), the captain and admins are told, as for an open incident.
ENDED = (ARCHIVED, "channel_not_found")
SHOWN_AGAIN = (NoticeStatus.DRAFT, NoticeStatus.APPROVED, NoticeStatus.PUBLISHING)  # notices with buttons to press


class Destinations:
    """Telling people when a war room or the stakeholder channel takes no posts, and opening a new war room."""

    def __init__(self, *, service: IncidentService, notices: NoticeDesk) -> None:
        self.service = service
        self.ctx = service.context
        self.settings = service.settings
        self.notices = notices
        self._archived_by: dict[str, str] = {}  # channel → who archived it, as Slack's event said

    # --- Slack's events -------------------------------------------------------------------------------------

    def archived(self, channel: str, *, by: str | None) -> None:
        """Slack says a person archived `channel` (Slack says so of every public channel in the workspace): an
        open incident's war room, or the stakeholder channel, takes no posts from now on (and people are told, by
        `blocked`, once); a resolved incident's war room takes nothing more."""
        incident = self._war_room(channel)
        if incident is not None and not incident.status.is_open:
            self.ctx.outbound.abandon(channel, ARCHIVED)
            return
        if incident is None and channel != self.settings.stakeholder_channel:
            return
        if by:  # for `blocked`, which may run on another thread (it takes it from here)
            self._archived_by[channel] = by
        if not self.ctx.outbound.block(channel, ARCHIVED):  # not news: nobody is told again
            self._archived_by.pop(channel, None)

    def back(self, channel: str) -> None:
        """Slack says `channel` takes posts again (unarchived, Firehouse invited back): what waited there goes."""
        if self.ctx.outbound.unblock(channel):
            self.ctx.outbound.send_owed(channel)

    # --- the outbox's hooks ---------------------------------------------------------------------------------

    def blocked(self, channel: str, reason: str) -> None:
        """Slack takes no posts in `channel` until a person acts: say so in one log line, as loud as it matters,
        and tell whoever can act, once."""
        if channel == WORKSPACE:  # nothing reaches Slack: this line, the metric and /readyz say so
            log.error("Slack refuses Firehouse's bot token or account (%s): every post waits until a person fixes"
                      " it (then restart, or wait for the next check)", reason)
            return
        incident = self._war_room(channel)
        if incident is not None and not incident.status.is_open and reason in ENDED:  # archived when done: usual
            given_up = self.ctx.outbound.abandon(channel, reason)
            log.info("the war room %s of incident %s (%s) takes no posts (%s): %d owed there given up", channel,
                     incident.id, incident.status, reason, given_up)
        elif incident is not None:
            log.error("the war room %s of incident %s takes no posts until a person acts (%s); posts owed there"
                      " wait, and its captain and the admins are told", channel, incident.id, reason)
            self._war_room_lost(incident, channel, reason)
        elif channel == self.settings.stakeholder_channel:
            log.error("the stakeholder channel %s takes no posts until a person acts (%s): stakeholders hear"
                      " nothing; updates owed there wait, and every war room and the admins are told", channel, reason)
            self._stakeholders_lost(channel, reason)
        else:  # a routing rule's channel: nothing is owed there for later, so nothing waits
            self.ctx.outbound.abandon(channel, reason)
            log.error("Slack takes no posts in %s until a person acts (%s): announcements there are lost until then",
                      channel, reason)

    def cleared(self, channel: str) -> None:
        """Slack takes posts in `channel` again: an open incident's timeline and war room say so, or, for the
        stakeholder channel, every open incident's."""
        incident = self._war_room(channel)
        if incident is not None and incident.status.is_open:
            change(self.ctx, by_id(incident.id), by=FIREHOUSE, needs=None,
                   decide=lambda uow, target: WarRoomBack(at=self.ctx.clock(), by=FIREHOUSE, channel=channel))
        elif incident is None and channel == self.settings.stakeholder_channel:
            for each in self._open_incidents():
                change(self.ctx, by_id(each.id), by=FIREHOUSE, needs=None,
                       decide=lambda uow, target: StakeholdersReachable(at=self.ctx.clock(), by=FIREHOUSE,
                                                                        channel=channel))

    def settled(self, incident: Incident, events: Sequence[Event]) -> None:
        """A pipeline's `settled` hook: once an incident is resolved, an archived war room of its takes nothing
        more, so what waited there is given up and the room forgotten."""
        if incident.status.is_open or not any(isinstance(e, StatusChanged | Closed) for e in events):
            return
        with self.ctx.unit_of_work() as uow:
            found = uow.destinations.get(incident.channel_id)
            reason = found.reason if found else None
        if reason in ENDED:
            self.ctx.outbound.abandon(incident.channel_id, reason)

    def _war_room_lost(self, incident: Incident, channel: str, reason: str) -> None:
        by = self._archived_by.pop(channel, FIREHOUSE)
        people = self._captain_and_admins(incident)

        def decide(uow: UnitOfWork, target: Target[None]) -> Decision[None]:
            if not uow.destinations.told(channel, at=self.ctx.clock()):
                return Decision([])  # another sender met the refusal first and told them
            now = self.ctx.clock()
            note = RoomLostNote(target.incident, channel, reason, by)
            return Decision([WarRoomLost(at=now, by=by, channel=channel, reason=reason)],
                            [Post("war-room-lost", person, note, now) for person in people])

        change(self.ctx, by_id(incident.id), by=FIREHOUSE, needs=None, decide=decide)

    def _stakeholders_lost(self, channel: str, reason: str) -> None:
        """The admins by direct message, now (whether an incident is open or not), and every open incident's
        timeline and war room."""
        if not write(self.ctx, lambda uow: uow.destinations.told(channel, at=self.ctx.clock())):
            return
        note = StakeholdersLostNote(channel, reason)
        for problem in self.ctx.outbound.direct(list(self._admins()), note):
            log.warning("could not tell an admin that the stakeholder channel takes no posts: %s", problem)
        for incident in self._open_incidents():
            change(self.ctx, by_id(incident.id), by=FIREHOUSE, needs=None,
                   decide=lambda uow, target: Decision(
                       [StakeholdersUnreachable(at=self.ctx.clock(), by=FIREHOUSE, channel=channel, reason=reason)],
                       [Post("stakeholders-lost", target.incident.channel_id, note, self.ctx.clock())]))

    # --- a new war room ---------------------------------------------------------------------------------------

    def open_new_war_room(self, *, incident_id: int, archived: str, by: str) -> Outcome[str]:
        """Open a new war room in place of the archived one and carry on there; returns the new channel's id as
        what it made. Refused (and nothing opened) when the room is not archived, already replaced, or someone
        is opening one right now."""
        incident = self.ctx.read(by_id(incident_id)).incident
        self.ctx.permissions.require(incident, Action.NEW_WAR_ROOM, by)
        if incident.channel_id != archived:
            raise InvalidChange(f"Incident #{incident.id} carries on in <#{incident.channel_id}> already.")
        if not incident.status.is_open:
            raise InvalidChange(f"Incident #{incident.id} is {incident.status}: its archived war room is where it"
                                " ends.")
        with self.ctx.unit_of_work() as uow:
            found = uow.destinations.get(archived)
            reason = found.reason if found else None
        if reason != ARCHIVED:
            raise InvalidChange(f"The war room <#{archived}> is not archived: carry on there.")
        now = self.ctx.clock()
        if not write(self.ctx, lambda uow: uow.destinations.claim_move(archived, now=now, until=now + MOVING)):
            raise InvalidChange("Someone is opening the new war room right now.")
        try:  # who was there first: a channel opened and then refused its people would be left behind
            members = self.ctx.outbound.members(archived)
            room = self.service.open_war_room(incident)
        except SlackFailure:
            write(self.ctx, lambda uow: uow.destinations.release_move(archived))
            raise

        def move(uow: UnitOfWork, target: Target[None]) -> Decision[str]:
            current = target.incident
            if current.channel_id != archived:
                raise InvalidChange(f"Incident #{current.id} moved to <#{current.channel_id}> a moment ago.")
            moved = uow.destinations.move_owed(current.id, old=archived, new=room.id)
            uow.destinations.forget(archived)
            return Decision([current.move_war_room(channel_id=room.id, channel_name=room.name, moved=moved, by=by,
                                                   at=self.ctx.clock())], made=room.id)

        outcome = change(self.ctx, by_id(incident_id), by=by, needs=Action.NEW_WAR_ROOM, decide=move)
        people = [*members, by, outcome.incident.captain, *outcome.incident.roles.values()]
        outcome.problems += self.ctx.outbound.invite(room.id, [p for p in dict.fromkeys(people) if p != FIREHOUSE])
        self._show_notices_again(outcome.incident)
        self.ctx.outbound.send_owed(room.id)
        return outcome

    def _show_notices_again(self, incident: Incident) -> None:
        """The notices waiting on a button were shown in the archived room: show them in the new one."""
        with self.ctx.unit_of_work() as uow:
            notices = uow.notices.of(incident.id)
        for notice in notices:
            if notice.status in SHOWN_AGAIN:
                notice.message_ts = None
                try:
                    self.notices.show(notice, incident=incident)
                except SlackFailure as failure:
                    log.warning("could not show notice %s in the new war room: %s", notice.id, failure.error)

    def _open_incidents(self) -> list[Incident]:
        """The open incidents whose stakeholders hear from the stakeholder channel (a drill's hear in its room)."""
        with self.ctx.unit_of_work() as uow:
            return [incident for incident in uow.incidents.open_incidents() if not incident.drill]

    def _war_room(self, channel: str) -> Incident | None:
        with self.ctx.unit_of_work() as uow:
            return uow.incidents.by_channel(channel)

    # --- who is told --------------------------------------------------------------------------------------------

    def _captain_and_admins(self, incident: Incident) -> list[str]:
        return list(dict.fromkeys(p for p in [incident.captain, *self._admins()] if p and p != FIREHOUSE))

    def _admins(self) -> Iterator[str]:
        """The configured admins, user groups read into their members (a group Slack won't read is left out)."""
        for who in self.settings.admins:
            if not who.startswith("S"):
                yield who
                continue
            try:
                yield from sorted(self.ctx.outbound.usergroup_members(who))
            except SlackFailure as failure:
                log.warning("could not read the admins' user group %s: %s", who, failure.error)

