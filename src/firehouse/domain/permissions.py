"""Who may do what in a war room. The rules are configurable; these are the defaults.

A rule lists who may act: `anyone`, `captain`, `admins` (configured users and user groups), or a role
name such as `legal`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from firehouse.errors import DomainError

ANYONE, CAPTAIN, ADMINS = "anyone", "captain", "admins"

# action → what a refusal says the person may not do
ACTIONS: dict[str, str] = {
    "log": "add to the timeline",
    "facts": "record facts",
    "draft_notice": "draft notices",
    "mark_sent": "mark notices sent",
    "update": "post a status update",
    "escalate": "raise the severity",
    "deescalate": "lower the severity",
    "status": "change the status",
    "resolve": "resolve the incident",
    "reopen": "reopen the incident",
    "waive_notice": "waive the customer notice",
    "change_class": "change the class",
    "change_cause": "change the suspected cause",
    "assign_role": "assign roles",
    "hand_over": "hand over the fire captain role",
    "set_times": "set the detection and awareness times",
    "approve_product": "approve product-lane notices",
    "approve_legal": "approve legal-lane notices",
    "not_reportable": "record that an incident is not reportable",
    "snapshot": "freeze evidence",
    "pull_firebreak": "pull or retry a firebreak",
    "lift_firebreak": "lift a firebreak",
    "record_firebreak": "record a firebreak done by hand",
    "follow_up": "add or change follow-up actions",
    "fixture": "write eval fixtures",
    "postmortem": "draft the postmortem and add to it",
    "publish_postmortem": "publish the postmortem",
    "close": "close the incident",
    "waive_lock": "close the incident without the lock",
    "end_drill": "end the drill and score it (its facilitator always may)",
}

DEFAULT_RULES: dict[str, frozenset[str]] = {
    **{action: frozenset({ANYONE}) for action in ACTIONS},
    "deescalate": frozenset({CAPTAIN, ADMINS}),
    "resolve": frozenset({CAPTAIN, ADMINS}),
    "waive_notice": frozenset({CAPTAIN, ADMINS}),
    "change_class": frozenset({CAPTAIN, ADMINS}),
    "approve_product": frozenset({"comms", CAPTAIN}),
    "approve_legal": frozenset({"legal"}),
    "not_reportable": frozenset({"legal"}),
    "pull_firebreak": frozenset({CAPTAIN, ADMINS}),
    "lift_firebreak": frozenset({CAPTAIN, ADMINS}),
    "record_firebreak": frozenset({CAPTAIN, ADMINS}),
    "publish_postmortem": frozenset({CAPTAIN, ADMINS}),
    "close": frozenset({CAPTAIN, ADMINS}),
    "waive_lock": frozenset({ADMINS}),
    "end_drill": frozenset({CAPTAIN, ADMINS}),
}


class NotAllowed(DomainError):
    """The person may not do this; the message says who may."""


@dataclass(frozen=True)
class Policy:
    """The rules, plus who the admins are."""

    rules: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_RULES))

    def allows(self, action: str, *, user: str, captain: str, roles: Mapping[str, str],
               is_admin: Callable[[], bool]) -> bool:
        """Whether `user` may do `action`; `is_admin` is asked last, since it may have to ask Slack."""
        who = self.rules[action]
        return (
            ANYONE in who
            or (CAPTAIN in who and user == captain)
            or any(roles.get(role) == user for role in who)
            or (ADMINS in who and is_admin())
        )

    def require(self, action: str, *, user: str, captain: str, roles: Mapping[str, str],
                is_admin: Callable[[], bool]) -> None:
        """Raise NotAllowed, naming who may, unless `user` may do `action`."""
        if not self.allows(action, user=user, captain=captain, roles=roles, is_admin=is_admin):
            raise NotAllowed(f"Only {self.describe(action, captain=captain, roles=roles)} may {ACTIONS[action]}.")

    def describe(self, action: str, *, captain: str, roles: Mapping[str, str]) -> str:
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
