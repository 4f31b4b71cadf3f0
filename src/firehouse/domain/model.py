"""The incident aggregate: the rules for every change to an incident. Each change returns its event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from firehouse.domain.afteraction import Closed, NoFixtureReason
from firehouse.domain.cadence import OnTheBoard
from firehouse.domain.classes import IncidentClass
from firehouse.domain.drills import ENDED
from firehouse.domain.events import (
    CaptainConfirmed,
    CaptainHandedOver,
    CauseChanged,
    ClassChanged,
    IncidentDeclared,
    Logged,
    MomentSet,
    RoleAssigned,
    SeverityChanged,
    StatusChanged,
)
from firehouse.domain.legal import LegalLane
from firehouse.domain.lifecycle import Status, can_move
from firehouse.domain.permissions import Action
from firehouse.domain.severity import Severity
from firehouse.domain.text import MAX_DESCRIPTION, MAX_TEXT, MAX_TITLE, check_text, optional_text
from firehouse.domain.war_rooms import WarRoomMoved
from firehouse.errors import InvalidChange


class NotLocked(InvalidChange):
    """Closing needs the lock; `missing` lists what stands between the incident and it."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__("Not locked yet, so not closed. Still missing:\n" + "\n".join(f"• {m}" for m in missing)
                         + "\nOr close anyway with `/incident close --waive-lock <reason>` (admins).")
        self.missing = list(missing)


@dataclass
class Incident(OnTheBoard, LegalLane):
    """An AI incident with exactly one fire captain at any time."""

    title: str
    severity: Severity
    class_id: str
    private: bool
    captain: str
    declared_by: str
    declared_at: datetime
    description: str = ""
    drill: bool = False  # a practice incident: marked everywhere, no clock, no notice sent, out of the numbers
    # When a person took the fire captain role. None while the captain is provisional: named by an alert
    # rule or holding the role for a drill's facilitator, until someone takes it (`/incident captain @me`).
    captain_at: datetime | None = None
    status: Status = Status.INVESTIGATING
    cause: str | None = None
    roles: dict[str, str] = field(default_factory=dict)
    reached_users: bool | None = None  # from the declare questions; None when nobody said
    detected_at: datetime | None = None
    aware_at: datetime | None = None
    classified_at: datetime | None = None
    contained_at: datetime | None = None
    resolved_at: datetime | None = None
    summary: str = ""
    notice_sent_at: datetime | None = None
    notice_waiver: str = ""
    # the status board
    next_update_due: datetime | None = None
    last_update_at: datetime | None = None
    update_prompted: bool = False
    snoozed_until: datetime | None = None
    missed_updates: int = 0
    checklist_step: int = 0
    # the legal lane
    facts: dict[str, str] = field(default_factory=dict)
    not_reportable: dict[str, dict[str, str]] = field(default_factory=dict)  # regime → reason, by, at
    reported: list[str] = field(default_factory=list)  # deadline keys met by a notice marked sent
    reminded: list[str] = field(default_factory=list)  # "<deadline key>@<point>" reminders already sent
    # the after-action lock
    no_fixture_reason: str = ""  # why this failure cannot be an eval fixture, when it cannot
    closed_at: datetime | None = None
    lock_waiver: str = ""  # why it was closed without the lock
    lock_nudged_at: datetime | None = None  # the last daily nudge to lock a resolved incident
    channel_id: str | None = None
    channel_name: str | None = None
    id: int | None = None

    @classmethod
    def declare(
        cls,
        *,
        title: str,
        severity: Severity,
        incident_class: IncidentClass,
        by: str,
        at: datetime,
        captain: str | None = None,
        description: str = "",
        proposed: Severity | None = None,
        override_reason: str = "",
        reached_users: bool | None = None,
        classified: bool = False,
        drill: bool = False,
        provisional: bool = False,
        detected_at: datetime | None = None,
    ) -> tuple[Incident, IncidentDeclared]:
        """A new incident led by `captain` (the declarer unless someone else is named).

        `proposed` is the severity the declare questions pointed to; declaring another one needs a reason.
        `classified` says the class was chosen, not defaulted, so the classification clock starts now.
        `provisional`: Firehouse opened it (an alert, a drill), so nobody has taken the captain role yet.
        """
        if proposed and proposed != severity and not override_reason.strip():
            raise InvalidChange(f"Say why this is {severity.label} when the answers point to {proposed.label}.")
        incident = cls(
            title=check_text(title, what="title", limit=MAX_TITLE),
            severity=severity,
            class_id=incident_class.id,
            private=incident_class.private,
            captain=captain or by,
            declared_by=by,
            declared_at=at,
            description=optional_text(description, what="description", limit=MAX_DESCRIPTION),
            reached_users=reached_users,
            aware_at=at,
            classified_at=at if classified else None,
            drill=drill,
            captain_at=None if provisional else at,
            detected_at=detected_at,
        )
        event = IncidentDeclared(
            at=at, by=by, title=incident.title, severity=severity, class_id=incident.class_id,
            captain=incident.captain, proposed=proposed, override_reason=override_reason.strip(),
        )
        return incident, event

    @property
    def first_known_at(self) -> datetime:
        """When the clock of the response started: detection if recorded, else the declaration."""
        return self.detected_at or self.declared_at

    @property
    def notice_owed(self) -> bool:
        """A SEV1 that reached users owes customers a notice (or a recorded waiver) before it resolves."""
        return (
            self.severity is Severity.SEV1
            and self.reached_users is not False
            and self.notice_sent_at is None
            and not self.notice_waiver
        )

    def move_war_room(self, *, channel_id: str, channel_name: str, moved: int, by: str, at: datetime) -> WarRoomMoved:
        """Carry on in a new war room in place of the archived one: the incident, its cadence and what it owes
        follow it there. Only while the incident is open: a resolved incident's archived room is its end."""
        if not self.status.is_open:
            raise InvalidChange(f"Incident #{self.id} is {self.status}: an archived war room is where it ends.")
        if not self.channel_id:
            raise InvalidChange(f"Incident #{self.id} has no war room to replace.")
        archived, self.channel_id, self.channel_name = self.channel_id, channel_id, channel_name
        return WarRoomMoved(at=at, by=by, archived=archived, channel=channel_id, moved=moved)

    def stakeholder_channel(self, configured: str | None) -> str | None:
        """Where this incident's stakeholders hear about it: the `configured` channel, but a drill's stakeholder
        posts stay in the drill's own war room, so practice never reaches real stakeholders."""
        return self.channel_id if self.drill else configured

    @property
    def captain_provisional(self) -> bool:
        """Nobody has taken the captain role yet; its holder only keeps the place."""
        return self.captain_at is None

    def hand_over(self, *, to: str, by: str, at: datetime) -> CaptainHandedOver | CaptainConfirmed:
        """Make `to` the fire captain; there is always exactly one. Naming the provisional captain confirms them."""
        if to == self.captain:
            if self.captain_provisional:
                self.captain_at = at
                return CaptainConfirmed(at=at, by=by, captain=to)
            raise InvalidChange(f"<@{to}> is already the fire captain.")
        event = CaptainHandedOver(at=at, by=by, previous=self.captain, captain=to)
        self.captain = to
        self.captain_at = self.captain_at or at
        return event

    def log(self, *, text: str, by: str, at: datetime, kind: str = "log") -> Logged:
        """A responder's note for the timeline."""
        return Logged(at=at, by=by, text=check_text(text, what="timeline entry", limit=MAX_TEXT), kind=kind)

    def severity_action(self, severity: Severity) -> Action:
        """The permission a change to `severity` needs: raising it is `escalate`, lowering `deescalate`.

        Asking for the current severity lowers nothing, so it needs no more than raising would (and the
        person is told it is already that severity, not that they may not lower it)."""
        return Action.ESCALATE if severity <= self.severity else Action.DEESCALATE

    def change_severity(self, severity: Severity, *, by: str, at: datetime, reason: str = "") -> SeverityChanged:
        if severity == self.severity:
            raise InvalidChange(f"The incident is already {severity.label}.")
        event = SeverityChanged(at=at, by=by, previous=self.severity, severity=severity,
                                reason=optional_text(reason, what="reason", limit=MAX_TEXT))
        self.severity = severity
        return event

    def change_class(self, incident_class: IncidentClass, *, by: str, at: datetime) -> ClassChanged:
        """Reclassify. A private class makes the incident private for good: what was said stays discreet."""
        if incident_class.id == self.class_id:
            raise InvalidChange(f"The class is already {self.class_id}.")
        event = ClassChanged(at=at, by=by, previous=self.class_id, class_id=incident_class.id)
        self.class_id = incident_class.id
        self.private = self.private or incident_class.private
        self.classified_at = self.classified_at or at
        return event

    def change_cause(self, cause: str, *, by: str, at: datetime) -> CauseChanged:
        if cause == self.cause:
            raise InvalidChange(f"The suspected cause is already {cause}.")
        event = CauseChanged(at=at, by=by, previous=self.cause, cause=cause)
        self.cause = cause
        return event

    def assign_role(self, role: str, holder: str, *, by: str, at: datetime) -> RoleAssigned:
        """Give `role` to `holder`; a role has one holder, a person may hold several roles."""
        previous = self.roles.get(role)
        if previous == holder:
            raise InvalidChange(f"<@{holder}> is already {role}.")
        self.roles[role] = holder
        return RoleAssigned(at=at, by=by, role=role, holder=holder, previous=previous)

    def change_status(self, status: Status, *, by: str, at: datetime) -> StatusChanged:
        """Move through the lifecycle; entering `resolved` goes through `resolve`."""
        if status is Status.RESOLVED:
            return self.resolve(by=by, at=at)
        self._check_move(status)
        event = StatusChanged(at=at, by=by, previous=self.status, status=status)
        self.status = status
        if status is Status.CONTAINED:
            self.contained_at = self.contained_at or at
        if event.reopened:
            self.resolved_at = None
        return event

    def resolve(self, *, by: str, at: datetime, summary: str = "", waiver: str = "") -> StatusChanged:
        """Resolve, unless a customer notice is still owed and nobody waived it with a reason."""
        self._check_move(Status.RESOLVED)
        waiver = optional_text(waiver, what="waiver reason", limit=MAX_TEXT)
        if self.notice_owed and not waiver:
            settle = ("approved (a drill's notices are never sent): draft one with `/incident comms product` and"
                      " approve it" if self.drill else "published or marked sent before it can be resolved. Draft one"
                      " with `/incident comms product`")
            raise InvalidChange(
                f"This {self.severity.label} incident reached users, so a product-lane notice must be {settle}, or"
                " waive it with `/incident resolve [summary] --waive-notice <reason>`."
            )
        event = StatusChanged(at=at, by=by, previous=self.status, status=Status.RESOLVED,
                              summary=optional_text(summary, what="summary", limit=MAX_TEXT), waiver=waiver)
        self.status = Status.RESOLVED
        self.resolved_at = at
        self.summary = event.summary or self.summary
        self.notice_waiver = waiver or self.notice_waiver
        return event

    def set_moment(self, name: str, moment: datetime, *, by: str, at: datetime) -> MomentSet:
        """Record when the incident was `detected` or when we became `aware` of it."""
        if name == "detected" and moment > self.declared_at:
            raise InvalidChange("Detection can't be after the declaration; it is when the first signal came in.")
        setattr(self, f"{name}_at", moment)
        return MomentSet(at=at, by=by, name=name, moment=moment)

    def moments(self) -> Mapping[str, datetime | None]:
        """Every recorded moment, in the order they usually happen."""
        return {
            "detected": self.detected_at, "declared": self.declared_at, "aware": self.aware_at,
            "classified": self.classified_at, "contained": self.contained_at, "resolved": self.resolved_at,
        }

    def close(self, *, by: str, at: datetime, missing: Sequence[str], waiver: str = "") -> Closed:
        """Close a resolved incident: only when locked (nothing `missing`), or with a waiver's reason."""
        if self.drill:
            raise InvalidChange("A drill closes when it ends: `/incident drill end` scores it and closes it.")
        if self.status is not Status.RESOLVED:
            raise InvalidChange(f"The incident is {self.status}; resolve it first (`/incident resolve`),"
                                " then close it.")
        waiver = optional_text(waiver, what="reason", limit=MAX_TEXT)
        if missing and not waiver:
            raise NotLocked(missing)
        self.status, self.closed_at, self.lock_waiver = Status.CLOSED, at, waiver
        return Closed(at=at, by=by, waiver=waiver)

    def end_drill(self, *, by: str, at: datetime, timed_out: bool) -> StatusChanged:
        """A drill is over: closed at once, wherever it stood (practice owes no notice and no lock), so the board
        stops; its postmortem can still be drafted for practice."""
        if not self.drill:
            raise InvalidChange("This is a real incident, not a drill.")
        if self.status is Status.CLOSED:
            raise InvalidChange(ENDED)
        summary = "the drill's time limit passed" if timed_out else "the drill ended"
        event = StatusChanged(at=at, by=by, previous=self.status, status=Status.CLOSED, summary=summary)
        self.status, self.closed_at = Status.CLOSED, at
        self.resolved_at = self.resolved_at or at
        self._start_cycle(None)
        return event

    def explain_no_fixture(self, reason: str, *, by: str, at: datetime) -> NoFixtureReason:
        """Record why this failure cannot become an eval fixture (it then counts towards the lock)."""
        self.no_fixture_reason = check_text(reason, what="reason", limit=MAX_TEXT)
        return NoFixtureReason(at=at, by=by, reason=self.no_fixture_reason)

    def _check_move(self, status: Status) -> None:
        if status is self.status:
            raise InvalidChange(f"The incident is already {status}.")
        if not can_move(self.status, status):
            raise InvalidChange(f"A {self.status} incident can't move to {status}.")
