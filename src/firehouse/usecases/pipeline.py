"""The one way a use case changes state: load → permit → decide → save → publish.

A use case names what it changes (`war_room(channel)`, `by_id(n)`, `action_no(n)`, `notice_no(n)`,
`postmortem(n, version)`), the permission that needs and a `decide` function; `change` owns the
transaction. It loads the incident in a fresh unit of work (so no change is saved over a stale copy of it),
checks who may, lets `decide` call the domain and stage the records it touches, follows any change of
cadence, saves the incident with its events and the posts they owe, commits, and only then announces the
events and delivers the posts. `open_incident` is the same for a new incident, and `write` for
work that changes no incident (an alert delivery, a Slack event's id). Nothing else outside
`store/` commits (`tests/test_one_pipeline.py` keeps it so).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from firehouse.config import Settings
from firehouse.domain.afteraction import FollowUp, PostmortemVersion
from firehouse.domain.events import Event
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice
from firehouse.domain.permissions import Action
from firehouse.errors import DomainError, Missing, NotAWarRoom
from firehouse.logs import note
from firehouse.store import UnitOfWork
from firehouse.usecases.ports import Outbound, Post

log = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True)
class Target(Generic[R]):
    """The incident a change is about, and the record inside it that the change is about (or None)."""

    incident: Incident
    record: R


Load = Callable[[UnitOfWork], Target[R]]
# The permission a change needs: none (the scheduler, Firehouse itself), one, all of several, or one that
# depends on what was loaded (lowering a severity, approving a legal notice, the owner of a follow-up).
Needs = Action | tuple[Action, ...] | Callable[[Target[R]], Action | tuple[Action, ...] | None] | None


@dataclass
class Decision(Generic[T]):
    """What `decide` did: the events for the timeline, the posts they owe, and what it made (a follow-up, …)."""

    events: list[Event]
    posts: list[Post] = field(default_factory=list)
    made: T | None = None


@dataclass
class Outcome(Generic[T]):
    """What a change did, what it made, and the side effects that Slack refused (the change itself stands)."""

    incident: Incident
    events: list[Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    made: T | None = None


Decide = Callable[[UnitOfWork, Target[R]], Decision[T] | Event | list[Event]]


class Permissions:
    """Who may do what in an incident: the configured policy, and who the admins are (user groups ask Slack)."""

    def __init__(self, *, settings: Settings, outbound: Outbound) -> None:
        self.settings = settings
        self.outbound = outbound

    def require(self, incident: Incident, action: Action, by: str) -> None:
        """NotAllowed, naming who may, unless `by` may do `action` in this incident."""
        self.settings.policy.require(action, user=by, captain=incident.captain, roles=incident.roles,
                                     is_admin=lambda: self.is_admin(by))

    def is_admin(self, user: str) -> bool:
        """Listed in `admins`, or a member of a user group listed there."""
        if user in self.settings.admins:
            return True
        return any(user in self.outbound.usergroup_members(group)
                   for group in self.settings.admins if group.startswith("S"))


@dataclass
class Context:
    """What every use case runs with: the store, the clock, the permissions and the outbound side."""

    unit_of_work: Callable[[], UnitOfWork]
    clock: Callable[[], datetime]
    permissions: Permissions
    outbound: Outbound
    settings: Settings
    # Told about every incident saved, e.g. the status board rescheduling its job.
    after_save: list[Callable[[Incident], None]] = field(default_factory=list)
    # Asked inside every change, after its decision: what follows from its events in the same transaction
    # (a signal watched because the incident's class, a pulled firebreak or its alert calls for it).
    followers: list[Callable[[UnitOfWork, Incident, Sequence[Event]], list[Event]]] = field(default_factory=list)
    # Asked before a move of status: what a person must see and confirm first (a watched signal still outside
    # its baseline). They may read other systems, so they run outside the transaction.
    status_guards: list[Callable[[Incident, Status], list[str]]] = field(default_factory=list)
    # Told of every change's events once it committed and was announced: work that follows a change but talks to
    # Slack itself, so it cannot run in the transaction (a resolved status page's notice, drafted and posted).
    settled: list[Callable[[Incident, Sequence[Event]], None]] = field(default_factory=list)

    def interval(self, incident: Incident) -> timedelta | None:
        """How often this incident's stakeholders hear from the war room now."""
        return self.settings.cadence.interval(incident.severity, incident.status)

    def stakeholder_channel(self, incident: Incident) -> str | None:
        return incident.stakeholder_channel(self.settings.stakeholder_channel)

    def follow(self, uow: UnitOfWork, incident: Incident, events: Sequence[Event]) -> list[Event]:
        """The events that follow from `events`, staged in `uow` by the followers."""
        return [followed for follower in self.followers for followed in follower(uow, incident, events)]

    def saved(self, incident: Incident) -> None:
        for listener in self.after_save:
            listener(incident)

    def read(self, load: Load[R]) -> Target[R]:
        """Load what `load` names, to read and not to change."""
        with self.unit_of_work() as uow:
            return load(uow)

    def require_person(self, user_id: str) -> None:
        """DomainError unless `user_id` is a person who can answer (not unknown, a bot or deactivated)."""
        person = self.outbound.person(user_id)
        if person is None:
            raise DomainError(f"I can't find <@{user_id}> in this workspace.")
        if person.is_bot or person.deleted:
            raise DomainError(f"<@{user_id}> is {'a bot' if person.is_bot else 'deactivated'};"
                              " incident roles need a person who can answer.")


def change(ctx: Context, load: Load[R], *, by: str, needs: Needs[R], decide: Decide[R, T],
           publish: bool = True, tell: bool = True) -> Outcome[T]:
    """Load, check `by` may do what `needs` names, apply `decide`, follow any change of cadence, save the
    incident with the events and the posts they owe in one transaction, then `publish` and deliver them.
    `tell` the `after_save` listeners, unless the change is the status board's own job (it places its next
    job itself, and what it decides changes no follow-up)."""
    with ctx.unit_of_work() as uow:
        target = load(uow)
        incident = target.incident
        actions = needs(target) if callable(needs) else needs
        for action in (actions,) if isinstance(actions, Action) else actions or ():
            ctx.permissions.require(incident, action, by)
        before = ctx.interval(incident)
        decision = _decision(decide(uow, target))
        decision.events += ctx.follow(uow, incident, decision.events)
        incident.retime(old=before, new=ctx.interval(incident), now=ctx.clock())
        uow.incidents.save(incident, decision.events)
        owed = ctx.outbound.owe(uow, incident, decision.posts) if decision.posts else []
        uow.commit()
    if tell:
        ctx.saved(incident)
    problems = ctx.outbound.publish(incident, decision.events) if publish and decision.events else []
    if owed:  # after the announcement: a drill's end says its report follows
        ctx.outbound.deliver(owed)
    for then in ctx.settled if decision.events else ():
        try:
            then(incident, decision.events)
        except Exception:  # the change stands, committed and announced: what follows it is not its failure
            log.warning("the work that follows a change failed", exc_info=True)
    return Outcome(incident, decision.events, problems, decision.made)


def open_incident(ctx: Context, incident: Incident, events: Sequence[Event], *,
                  decide: Callable[[UnitOfWork, Incident], Decision[Any]] | None = None) -> Decision[list[Any]]:
    """Store a new incident (its war room already open) with its events and whatever `decide` records with it
    (more events, and the posts they owe). Returns the events that followed (a routing rule applied, …) and, as
    what it `made`, the posts, recorded, for the caller to deliver once it has briefed the war room."""
    with ctx.unit_of_work() as uow:
        uow.incidents.add(incident, events)
        decision = decide(uow, incident) if decide else Decision([])
        followed = ctx.follow(uow, incident, [*events, *decision.events])
        uow.incidents.record(incident, [*decision.events, *followed])
        owed = ctx.outbound.owe(uow, incident, decision.posts) if decision.posts else []
        uow.commit()
    ctx.saved(incident)
    return Decision(followed, made=owed)


def write(ctx: Context, work: Callable[[UnitOfWork], T]) -> T:
    """Work in one transaction that changes no incident: an alert delivery stored, a Slack event's id
    remembered, stranded firebreaks claimed, the message a notice is shown in."""
    with ctx.unit_of_work() as uow:
        done = work(uow)
        uow.commit()
    return done


def rule(decide: Callable[[Incident], Event | list[Event]]) -> Decide[R, None]:
    """A decision the incident's own rule makes alone: all `decide` needs is the incident."""
    return lambda uow, target: decide(target.incident)


def _decision(decided: Decision[T] | Event | list[Event]) -> Decision[T]:
    if isinstance(decided, Decision):
        return decided
    return Decision(decided if isinstance(decided, list) else [decided])


# --- what a change loads --------------------------------------------------------------------------------


def war_room(channel: str) -> Load[None]:
    """The incident whose war room `channel` is, or NotAWarRoom."""
    return lambda uow: Target(_in_war_room(uow, channel), None)


def by_id(incident_id: int) -> Load[None]:
    """The incident numbered `incident_id`."""
    return lambda uow: Target(_incident(uow, incident_id), None)


def action_no(action_id: int) -> Load[FollowUp]:
    return _record(lambda uow: uow.afteraction.action(action_id), missing=f"Action #{action_id}")


def notice_no(notice_id: int) -> Load[Notice]:
    return _record(lambda uow: uow.notices.get(notice_id), missing=f"Notice #{notice_id}")


def postmortem(incident_id: int, version: int | None) -> Load[PostmortemVersion | None]:
    """A drafted version of the incident's postmortem, the latest unless one is named (None: no draft)."""
    def load(uow: UnitOfWork) -> Target[PostmortemVersion | None]:
        found = _incident(uow, incident_id)
        versions = uow.afteraction.postmortems(incident_id)
        return Target(found, next((v for v in versions if v.version == version), None) if version else (
            versions[-1] if versions else None))
    return load


def _record(get: Callable[[UnitOfWork], R | None], *, missing: str) -> Load[R]:
    """A record of an incident (it has an `incident_id`) and the incident it belongs to."""
    def load(uow: UnitOfWork) -> Target[R]:
        found = get(uow)
        if found is None:
            raise Missing(f"{missing} does not exist.")
        return Target(_incident(uow, found.incident_id), found)
    return load


def _in_war_room(uow: UnitOfWork, channel: str) -> Incident:
    found = uow.incidents.by_channel(channel)
    if found is None:
        raise NotAWarRoom("This channel is not a war room.")
    note(incident=found.id)  # the log lines of the work that follows say which incident
    return found


def _incident(uow: UnitOfWork, incident_id: int) -> Incident:
    found = uow.incidents.get(incident_id)
    if found is None:
        raise Missing(f"Incident #{incident_id} does not exist.")
    note(incident=found.id)
    return found
