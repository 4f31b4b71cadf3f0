"""Who may do what in a war room. The rules are configurable; these are the defaults.

A rule lists who may act: `anyone`, `captain`, `admins` (configured users and user groups), or a role
name such as `legal`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from firehouse.errors import DomainError

ANYONE, CAPTAIN, ADMINS = "anyone", "captain", "admins"


class Action(StrEnum):
    """Something a person may or may not do in an incident: a key of `[permissions]`, and what a refusal says
    they may not do."""

    LOG = "log", "add to the timeline"
    FACTS = "facts", "record facts"
    DRAFT_NOTICE = "draft_notice", "draft notices"
    MARK_SENT = "mark_sent", "mark notices sent"
    UPDATE = "update", "post a status update"
    ESCALATE = "escalate", "raise the severity"
    DEESCALATE = "deescalate", "lower the severity"
    STATUS = "status", "change the status"
    RESOLVE = "resolve", "resolve the incident"
    REOPEN = "reopen", "reopen the incident"
    WAIVE_NOTICE = "waive_notice", "waive the customer notice"
    CHANGE_CLASS = "change_class", "change the class"
    CHANGE_CAUSE = "change_cause", "change the suspected cause"
    ASSIGN_ROLE = "assign_role", "assign roles"
    HAND_OVER = "hand_over", "hand over the fire captain role"
    SET_TIMES = "set_times", "set the detection and awareness times"
    APPROVE_PRODUCT = "approve_product", "approve product-lane notices"
    APPROVE_LEGAL = "approve_legal", "approve legal-lane notices"
    NOT_REPORTABLE = "not_reportable", "record that an incident is not reportable"
    SNAPSHOT = "snapshot", "freeze evidence"
    PULL_FIREBREAK = "pull_firebreak", "pull or retry a firebreak"
    LIFT_FIREBREAK = "lift_firebreak", "lift a firebreak"
    RECORD_FIREBREAK = "record_firebreak", "record a firebreak done by hand"
    FOLLOW_UP = "follow_up", "add or change follow-up actions"
    FIXTURE = "fixture", "write eval fixtures"
    POSTMORTEM = "postmortem", "draft the postmortem and add to it"
    PUBLISH_POSTMORTEM = "publish_postmortem", "publish the postmortem"
    CLOSE = "close", "close the incident"
    WAIVE_LOCK = "waive_lock", "close the incident without the lock"
    END_DRILL = "end_drill", "end the drill and score it (its facilitator always may)"
    WATCH = "watch", "start or stop watching a live signal"
    PAGE = "page", "page someone"
    PUBLISH_STATUS = "publish_status", "publish notices to the status page"
    EVIDENCE = "evidence", "build the evidence pack"
    NEW_WAR_ROOM = "new_war_room", "open a new war room in place of an archived one"

    def __new__(cls, value: str, says: str) -> Action:
        member = str.__new__(cls, value)
        member._value_ = value
        member.says = says
        return member


DEFAULT_RULES: dict[Action, frozenset[str]] = {
    **{action: frozenset({ANYONE}) for action in Action},
    Action.DEESCALATE: frozenset({CAPTAIN, ADMINS}),
    Action.RESOLVE: frozenset({CAPTAIN, ADMINS}),
    Action.WAIVE_NOTICE: frozenset({CAPTAIN, ADMINS}),
    Action.CHANGE_CLASS: frozenset({CAPTAIN, ADMINS}),
    Action.APPROVE_PRODUCT: frozenset({"comms", CAPTAIN}),
    Action.APPROVE_LEGAL: frozenset({"legal"}),
    Action.PUBLISH_STATUS: frozenset({"comms", CAPTAIN}),
    Action.EVIDENCE: frozenset({"legal", CAPTAIN, ADMINS}),
    Action.NEW_WAR_ROOM: frozenset({CAPTAIN, ADMINS}),
    Action.NOT_REPORTABLE: frozenset({"legal"}),
    Action.PULL_FIREBREAK: frozenset({CAPTAIN, ADMINS}),
    Action.LIFT_FIREBREAK: frozenset({CAPTAIN, ADMINS}),
    Action.RECORD_FIREBREAK: frozenset({CAPTAIN, ADMINS}),
    Action.PUBLISH_POSTMORTEM: frozenset({CAPTAIN, ADMINS}),
    Action.CLOSE: frozenset({CAPTAIN, ADMINS}),
    Action.WAIVE_LOCK: frozenset({ADMINS}),
    Action.END_DRILL: frozenset({CAPTAIN, ADMINS}),
}


class NotAllowed(DomainError):
    """The person may not do this; the message says who may."""


@dataclass(frozen=True)
class Policy:
    """The rules, plus who the admins are."""

    rules: Mapping[Action, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_RULES))

    def allows(self, action: Action, *, user: str, captain: str, roles: Mapping[str, str],
               is_admin: Callable[[], bool]) -> bool:
        """Whether `user` may do `action`; `is_admin` is asked last, since it may have to ask Slack."""
        who = self.rules[action]
        return (
            ANYONE in who
            or (CAPTAIN in who and user == captain)
            or any(roles.get(role) == user for role in who)
            or (ADMINS in who and is_admin())
        )

    def require(self, action: Action, *, user: str, captain: str, roles: Mapping[str, str],
                is_admin: Callable[[], bool]) -> None:
        """Raise NotAllowed, naming who may, unless `user` may do `action`."""
        if not self.allows(action, user=user, captain=captain, roles=roles, is_admin=is_admin):
            raise NotAllowed(f"Only {self.describe(action, captain=captain, roles=roles)} may {Action(action).says}.")

    def describe(self, action: Action, *, captain: str, roles: Mapping[str, str]) -> str:
        """`the fire captain (<@U1>) or an admin`: who may do `action` in this incident."""
        names = []
        for who in sorted(self.rules[action], key=lambda w: (w != CAPTAIN, w != ADMINS, w)):
            if who == CAPTAIN:
                names.append(f"the fire captain (<@{captain}>)")
            elif who == ADMINS:
                names.append("a Firehouse admin")
            else:
                holder = roles.get(who)
                names.append(f"the {who} role holder" + (f" (<@{holder}>)" if holder else " (nobody yet)"))
        return " or ".join(names)
