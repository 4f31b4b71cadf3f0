"""Declaring and changing incidents, each change through the pipeline (`usecases.pipeline`).

A change takes the command dataclass the edge parsed, with who asked and in which war room, so handlers
pass it on untouched and tests drive it in-process.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from firehouse.commands.incidents import (
    AssignRole,
    ChangeCause,
    ChangeClass,
    ChangeSeverity,
    ChangeStatus,
    HandOver,
    Resolve,
)
from firehouse.commands.timeline import Log, SetMoment
from firehouse.config import Settings
from firehouse.domain import routing
from firehouse.domain.events import FIREHOUSE, Event, TimelineEntry
from firehouse.domain.lifecycle import Status, can_move
from firehouse.domain.model import MAX_TEXT, Incident
from firehouse.domain.naming import war_room_name
from firehouse.domain.permissions import Action
from firehouse.domain.severity import Severity
from firehouse.domain.times import parse_moment
from firehouse.domain.verification import SignalsOverridden
from firehouse.errors import DomainError, InvalidChange, Missing, NotAWarRoom, SlackFailure, echo
from firehouse.store import UnitOfWork
from firehouse.usecases.pipeline import (
    Context,
    Decision,
    Outcome,
    Permissions,
    Target,
    by_id,
    change,
    open_incident,
    rule,
    war_room,
    write,
)
from firehouse.usecases.ports import Channel, Outbound

DRILL_PREFIX = "drill"  # a drill's war room is `drill-<yyyymmdd>-<slug>`, whatever the deployment's prefix
NAME_ATTEMPTS = 10  # numbered names, `<name>` and `<name>-2` to `<name>-10`, on a busy day
TOKEN_ATTEMPTS = 3  # then names with a random suffix: 16 million of them per title and day


class StillOutside(DomainError):
    """A move to contained, monitoring or resolved while watched signals are outside their baseline: shown to
    the person, who may confirm it; nothing was changed."""

    def __init__(self, status: Status, standings: list[str]) -> None:
        super().__init__(f"Still outside baseline: {'; '.join(echo(s, 300) for s in standings)}. Move to {status}"
                         " anyway?")
        self.status = status
        self.standings = standings


def utc_now() -> datetime:
    return datetime.now(UTC)


class IncidentService:
    """The incident operations, wired to a store, the outbound side, the settings and a clock."""

    def __init__(self, *, engine: Engine, outbound: Outbound, settings: Settings,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.context = Context(unit_of_work=lambda: UnitOfWork(engine), clock=clock,
                               permissions=Permissions(settings=settings, outbound=outbound), outbound=outbound,
                               settings=settings)
        self.outbound = outbound
        self.settings = settings
        self.catalog = settings.catalog
        self.clock = clock

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
        reached_users: bool | None = None,
        drill: bool = False,
        provisional: bool = False,
        detected_at: datetime | None = None,
        record: Callable[[UnitOfWork, Incident], Decision[Any]] | None = None,
    ) -> Outcome:
        """Declare an incident: open its war room, record it, then brief the room and the stakeholders.

        Two sequential Web API round trips: creating the channel, then the briefing all at once. Firehouse
        itself declares drills and alerts' investigations: `provisional` leaves the captain role for a person
        to take, and `record` writes what goes with the incident in the same transaction, returning the posts
        it owes (a drill's alarm, an alert's details)."""
        incident_class = self.catalog.classes[class_id or self.catalog.default_class]
        if captain and captain != by:
            self.context.require_person(captain)
        incident, declared = Incident.declare(
            title=title, severity=severity, incident_class=incident_class, by=by, at=self.clock(),
            captain=captain, description=description, proposed=proposed, override_reason=override_reason,
            reached_users=reached_users, classified=class_id is not None, drill=drill, provisional=provisional,
            detected_at=detected_at,
        )
        incident.retime(old=None, new=self.context.interval(incident), now=incident.declared_at)
        if not drill:  # the routing rules' user groups are read while the channel is created
            self.outbound.expect_groups([who for rule in routing.due(self.settings.routing, incident, ())
                                         for who in rule.invite if who.startswith("S")])
        room = self.open_war_room(incident)
        incident.channel_id, incident.channel_name = room.id, room.name
        opened = open_incident(self.context, incident, [declared], decide=record)
        people = [p for p in (by, incident.captain) if p != FIREHOUSE]
        routes = [event for event in opened.events if isinstance(event, routing.Routed)]
        outcome = Outcome(incident, events=[declared, *routes], problems=self.outbound.brief(
            incident, incident_class, invite=people, routes=routes))
        if opened.made:  # after the kickoff: the war room reads the briefing first
            self.outbound.deliver(opened.made)
        return outcome

    def open_war_room(self, incident: Incident) -> Channel:
        """Create a war room for `incident` under the first free name, so a flapping alert always gets one (and an
        archived room's replacement is named after it)."""
        name = ""
        for name in self._room_names(incident):
            try:
                return self.outbound.create_channel(name, private=incident.private)
            except SlackFailure as failure:
                if failure.error != "name_taken":
                    raise
        raise SlackFailure("conversations.create", f"name_taken even for random names like {name}")

    def _room_names(self, incident: Incident) -> Iterator[str]:
        """The numbered names, then a few with a random suffix (a token only needs to be new)."""
        prefix = DRILL_PREFIX if incident.drill else self.settings.channel_prefix
        named = {"prefix": prefix, "declared_at": incident.declared_at, "title": incident.title}
        for attempt in range(NAME_ATTEMPTS):
            yield war_room_name(**named, attempt=attempt)
        for _ in range(TOKEN_ATTEMPTS):
            yield war_room_name(**named, token=secrets.token_hex(3))

    # --- changing a war room's incident ----------------------------------------------------------

    def hand_over(self, command: HandOver, *, channel: str, by: str) -> Outcome:
        to = command.user_id
        self.context.require_person(to)
        return change(self.context, war_room(channel), by=by, needs=Action.HAND_OVER,
                      decide=rule(lambda incident: incident.hand_over(to=to, by=by, at=self.clock())))

    def assign_role(self, command: AssignRole, *, channel: str, by: str) -> Outcome:
        role, to = command.role, command.user_id
        self.context.require_person(to)
        return change(self.context, war_room(channel), by=by, needs=Action.ASSIGN_ROLE,
                      decide=rule(lambda incident: incident.assign_role(role, to, by=by, at=self.clock())))

    def change_severity(self, command: ChangeSeverity, *, channel: str, by: str) -> Outcome:
        """Anyone may escalate; lowering the severity needs the `deescalate` permission."""
        severity, reason = command.severity, command.reason
        return change(self.context, war_room(channel), by=by,
                      needs=lambda target: target.incident.severity_action(severity),
                      decide=rule(lambda incident: incident.change_severity(severity, by=by, at=self.clock(),
                                                                            reason=reason)))

    def change_class(self, command: ChangeClass, *, channel: str, by: str) -> Outcome:
        incident_class = self.catalog.classes[command.class_id]
        outcome = change(self.context, war_room(channel), by=by, needs=Action.CHANGE_CLASS,
                         decide=rule(lambda incident: incident.change_class(incident_class, by=by, at=self.clock())))
        if outcome.incident.private and not self.outbound.is_private(channel):
            outcome.problems.append(
                "This war room stays public: Slack does not let apps make a public channel private. Keep"
                " sensitive detail out of it, or declare a new private incident and move the discussion there."
                " Stakeholder announcements for this incident are now discreet."
            )
        return outcome

    def change_cause(self, command: ChangeCause, *, channel: str, by: str) -> Outcome:
        return change(self.context, war_room(channel), by=by, needs=Action.CHANGE_CAUSE,
                      decide=rule(lambda incident: incident.change_cause(command.cause, by=by, at=self.clock())))

    def change_status(self, command: ChangeStatus, *, channel: str, by: str) -> Outcome:
        """Move through the lifecycle; `resolved` goes through `resolve`, leaving it is a reopen."""
        status = command.status
        if status is Status.RESOLVED:
            return self.resolve(Resolve(confirmed=command.confirmed), channel=channel, by=by)
        def needs(target: Target[None]) -> Action:
            return Action.REOPEN if target.incident.status is Status.RESOLVED else Action.STATUS

        seen = self._guarded(channel, status, confirmed=command.confirmed, by=by, needs=needs)
        return change(self.context, war_room(channel), by=by, needs=needs,
                      decide=rule(lambda incident: [incident.change_status(status, by=by, at=self.clock()),
                                                    *self._overridden(seen, status, by)]))

    def resolve(self, command: Resolve, *, channel: str, by: str) -> Outcome:
        summary, waiver = command.summary, command.waiver
        needs = (Action.RESOLVE, Action.WAIVE_NOTICE) if waiver else Action.RESOLVE
        seen = self._guarded(channel, Status.RESOLVED, confirmed=command.confirmed, by=by, needs=lambda _: needs)
        return change(self.context, war_room(channel), by=by, needs=needs,
                      decide=rule(lambda incident: [incident.resolve(by=by, at=self.clock(), summary=summary,
                                                                     waiver=waiver),
                                                    *self._overridden(seen, Status.RESOLVED, by)]))

    def _guarded(self, channel: str, status: Status, *, confirmed: bool, by: str,
                 needs: Callable[[Target[None]], Action | tuple[Action, ...]]) -> list[str]:
        """What the status guards say against this move (read outside the transaction: they may ask other
        systems); StillOutside unless the person `confirmed` having seen it. Only for someone who may move it."""
        target = self.context.read(war_room(channel))
        incident = target.incident
        actions = needs(target)
        for action in (actions,) if isinstance(actions, Action) else actions:
            self.context.permissions.require(incident, action, by)
        if not can_move(incident.status, status):
            return []  # the domain refuses the move itself, with its own reply
        seen = [warning for guard in self.context.status_guards for warning in guard(incident, status)]
        if seen and not confirmed:
            raise StillOutside(status, seen)
        return seen

    def _overridden(self, seen: list[str], status: Status, by: str) -> list[Event]:
        return [SignalsOverridden(at=self.clock(), by=by, status=status.value, standings=tuple(seen))] if seen else []

    def set_moment(self, command: SetMoment, *, channel: str, by: str) -> Outcome:
        """Record when the incident was `detected`, or when we became `aware` of it, from what was typed."""
        now = self.clock()
        try:
            moment = parse_moment(command.when, now=now)
        except ValueError as err:
            raise InvalidChange(f"{err}.") from None
        return change(self.context, war_room(channel), by=by, needs=Action.SET_TIMES,
                      decide=rule(lambda incident: incident.set_moment(command.name, moment, by=by, at=now)))

    def log(self, command: Log, *, channel: str, by: str, kind: str = "log") -> TimelineEntry:
        """Append a responder's line to the timeline (`kind` says where it came from: typed, pinned, …)."""
        outcome = change(self.context, war_room(channel), by=by, needs=Action.LOG,
                         decide=rule(lambda incident: incident.log(text=command.text, by=by, at=self.clock(),
                                                                   kind=kind)))
        return outcome.events[0].timeline_entry()

    # --- reading ------------------------------------------------------------------------------

    def incident_in(self, channel: str) -> Incident:
        """The incident whose war room `channel` is, or NotAWarRoom."""
        return self.context.read(war_room(channel)).incident

    def incident_by_id(self, incident_id: int) -> Incident:
        """The incident numbered `incident_id`, or NotAWarRoom (its reply says how to find one)."""
        try:
            return self.context.read(by_id(incident_id)).incident
        except Missing as missing:
            raise NotAWarRoom(missing.reply) from None

    def show_timeline(self, *, channel: str, user: str) -> int:
        """Show `user` the whole timeline as ephemeral messages; returns how many messages it took."""
        with self.context.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            entries = uow.incidents.timeline(incident.id)
        return self.outbound.show_timeline(incident, entries, channel=channel, user=user)

    def open_incidents(self) -> list[Incident]:
        with self.context.unit_of_work() as uow:
            return uow.incidents.open_incidents()

    # --- events -------------------------------------------------------------------------------

    def pin_to_timeline(self, *, channel: str, ts: str, by: str) -> TimelineEntry:
        """Copy a war-room message into the timeline, quoting who wrote it."""
        self.incident_in(channel)
        message = self.outbound.message(channel, ts)
        if message is None:
            raise DomainError("That message is gone, so it was not added to the timeline.")
        author = f"<@{message['user']}>" if message.get("user") else "A bot"
        quoted = f"{author} wrote: {message.get('text') or '(a message without text)'}"
        if len(quoted) > MAX_TEXT:
            quoted = quoted[: MAX_TEXT - 1] + "…"
        return self.log(Log(quoted), channel=channel, by=by, kind="pinned")

    def first_delivery(self, event_id: str) -> bool:
        """False when Slack delivered this event before (a retry); remembers it otherwise."""
        return write(self.context, lambda uow: uow.incidents.first_delivery(event_id, at=self.clock()))
