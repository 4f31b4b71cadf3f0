"""The after-action lock: what stops the same failure from quietly coming back.

An incident is locked when its lesson is kept three ways: a published postmortem, at least one eval
fixture (or a recorded reason why the failure cannot be one), and every follow-up action owned and dated.
`closed` needs the lock, or a waiver with a reason. Follow-up actions outlive the war room: overdue ones
are reminded at most once a day, also after the incident is closed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from firehouse.domain.events import TimelineEntry
from firehouse.errors import InvalidChange, echo

ACTION_KINDS: dict[str, str] = {
    "prevent": "stops it happening again",
    "mitigate": "makes it hurt less next time",
    "detect": "catches it sooner",
    "process": "changes how we respond",
}
MAX_ACTION = 500
# What `/incident postmortem note <section> <text>` may add to, as the postmortem template names them.
NOTE_SECTIONS: dict[str, str] = {
    "summary": "what happened, in two sentences",
    "detection": "which signal fired first, or which failed to",
    "technical": "technical contributing factors",
    "data": "data contributing factors",
    "process": "process contributing factors",
    "systemic": "systemic factors: why was it not caught?",
    "well": "what went well",
    "badly": "what went badly",
    "lucky": "where we got lucky",
}
REMIND_EVERY = timedelta(days=1)


class ActionState(StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclass
class FollowUp:
    """A follow-up action: what, who owns it, by when, and whether it is done."""

    incident_id: int
    text: str
    kind: str
    created_by: str
    created_at: datetime
    owner: str | None = None
    due: date | None = None
    state: ActionState = ActionState.OPEN
    done_by: str | None = None
    done_at: datetime | None = None
    reminded_at: datetime | None = None
    id: int | None = None

    @classmethod
    def add(cls, text: str, *, incident_id: int, kind: str, by: str, at: datetime, owner: str | None = None,
            due: date | None = None) -> tuple[FollowUp, ActionAdded]:
        text = text.strip()
        if not text:
            raise InvalidChange("Say what the action is.")
        if len(text) > MAX_ACTION:
            raise InvalidChange(f"The action is {len(text):,} characters long; keep it to {MAX_ACTION}.")
        if kind not in ACTION_KINDS:
            raise InvalidChange(f"`{echo(kind, 20)}` is not an action kind: use one of {', '.join(ACTION_KINDS)}.")
        _check_due(due, at)
        action = cls(incident_id=incident_id, text=text, kind=kind, created_by=by, created_at=at, owner=owner,
                     due=due)
        return action, ActionAdded(at=at, by=by, text=text, kind=kind, owner=owner, due=due)

    @property
    def owned(self) -> bool:
        return bool(self.owner and self.due)

    def overdue(self, now: datetime) -> bool:
        return self.state is ActionState.OPEN and self.due is not None and self.due < now.date()

    def reminder_due(self, now: datetime) -> bool:
        """Overdue and not reminded in the last day: reminders come at most once a day."""
        return self.overdue(now) and (self.reminded_at is None or now - self.reminded_at >= REMIND_EVERY)

    def next_reminder(self, now: datetime) -> datetime | None:
        """When this action's owner should next hear about it (None: never again)."""
        if self.state is not ActionState.OPEN or self.due is None:
            return None
        overdue_from = datetime.combine(self.due + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
        if self.reminded_at is None:
            return overdue_from
        return max(overdue_from, self.reminded_at + REMIND_EVERY)

    def reminded(self, at: datetime) -> None:
        self.reminded_at = at

    def complete(self, *, by: str, at: datetime) -> ActionChanged:
        if self.state is ActionState.DONE:
            raise InvalidChange(f"Action #{self.id} is already done.")
        self.state, self.done_by, self.done_at = ActionState.DONE, by, at
        return ActionChanged(at=at, by=by, action_id=self.id or 0, change="done")

    def reassign(self, owner: str, *, by: str, at: datetime) -> ActionChanged:
        if owner == self.owner:
            raise InvalidChange(f"<@{owner}> already owns action #{self.id}.")
        self.owner = owner
        return ActionChanged(at=at, by=by, action_id=self.id or 0, change=f"now owned by <@{owner}>")

    def move_due(self, due: date, *, by: str, at: datetime) -> ActionChanged:
        _check_due(due, at)
        self.due, self.reminded_at = due, None
        return ActionChanged(at=at, by=by, action_id=self.id or 0, change=f"due {due.isoformat()}")


def _check_due(due: date | None, at: datetime) -> None:
    if due is not None and due < at.date():
        raise InvalidChange(f"The due date {due.isoformat()} is in the past; pick today or later.")


@dataclass
class Fixture:
    """An eval fixture: the receipt of the incident, run by the release gate so it cannot ship again."""

    incident_id: int
    input: list[dict[str, str]]  # chat messages: {"role": "system" | "user" | "assistant", "content": …}
    bad_output: str
    created_by: str
    created_at: datetime
    target: str = ""  # what should have happened
    rubric: str = ""  # how a judge should grade an answer
    forbidden: list[str] = field(default_factory=list)  # strings that must never appear
    tags: list[str] = field(default_factory=list)
    snapshot_id: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # class, cause, model, prompt version
    id: int | None = None

    @classmethod
    def write(cls, *, incident_id: int, input: list[dict[str, str]], bad_output: str, by: str, at: datetime,
              target: str = "", rubric: str = "", forbidden: Sequence[str] = (), tags: Sequence[str] = (),
              snapshot_id: int | None = None, metadata: dict[str, str] | None = None) -> Fixture:
        if not any(m.get("content", "").strip() for m in input if m.get("role") == "user"):
            raise InvalidChange("A fixture needs the failing input: what the user sent.")
        forbidden = [f for f in forbidden if f.strip()]
        if not (target.strip() or rubric.strip() or forbidden):
            raise InvalidChange("Say what should have happened: a target, a rubric, or strings that must never"
                                " appear.")
        return cls(incident_id=incident_id, input=input, bad_output=bad_output, created_by=by, created_at=at,
                   target=target.strip(), rubric=rubric.strip(), forbidden=forbidden,
                   tags=[t for t in tags if t.strip()], snapshot_id=snapshot_id, metadata=dict(metadata or {}))

    def event(self) -> FixtureAdded:
        return FixtureAdded(at=self.created_at, by=self.created_by, fixture_id=self.id or 0,
                            forbidden=len(self.forbidden), tags=tuple(self.tags))

    @property
    def key(self) -> str:
        """A stable id for eval tools: the incident and the fixture's number."""
        return f"incident-{self.incident_id}-fixture-{self.id}"


@dataclass
class PostmortemVersion:
    """One drafted text of the postmortem, kept verbatim with its fingerprint; publishing marks a draft as the
    record. A later draft that reads differently is a new version: nothing is ever edited in place."""

    incident_id: int
    version: int
    text: str
    drafted_by: str
    drafted_at: datetime
    published_by: str | None = None
    published_at: datetime | None = None
    id: int | None = None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def publish(self, *, by: str, at: datetime) -> PostmortemPublished:
        if self.published_at is not None:
            raise InvalidChange(f"Postmortem version {self.version} is already published"
                                f" (by <@{self.published_by}>).")
        self.published_by, self.published_at = by, at
        return PostmortemPublished(at=at, by=by, version=self.version, fingerprint=self.fingerprint)


def missing_for_lock(*, published: bool, fixtures: int, no_fixture_reason: str,
                     actions: Sequence[FollowUp]) -> list[str]:
    """What still stands between the incident and its lock; empty when locked."""
    missing = []
    if not published:
        missing.append("a published postmortem (`/incident postmortem`, then Publish)")
    if not fixtures and not no_fixture_reason:
        missing.append("an eval fixture (`/incident fixture`), or why it cannot be one"
                       " (`/incident fixture none <reason>`)")
    unowned = [a for a in actions if a.state is ActionState.OPEN and not a.owned]
    if unowned:
        numbers = ", ".join(f"#{a.id}" for a in unowned)
        missing.append(f"an owner and a due date for every open action ({numbers}:"
                       " `/incident actions` to set them)")
    return missing


# --- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionAdded:
    at: datetime
    by: str
    text: str
    kind: str
    owner: str | None
    due: date | None

    def timeline_entry(self) -> TimelineEntry:
        owner = f", owner <@{self.owner}>" if self.owner else ", no owner yet"
        due = f", due {self.due.isoformat()}" if self.due else ", no due date yet"
        return TimelineEntry(self.at, self.by, "action", f"Follow-up ({self.kind}): {self.text}{owner}{due}")


@dataclass(frozen=True)
class ActionChanged:
    at: datetime
    by: str
    action_id: int
    change: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "action", f"Action #{self.action_id}: {self.change}")


@dataclass(frozen=True)
class FixtureAdded:
    at: datetime
    by: str
    fixture_id: int
    forbidden: int
    tags: tuple[str, ...]

    def timeline_entry(self) -> TimelineEntry:
        tags = f", tags {', '.join(self.tags)}" if self.tags else ""
        return TimelineEntry(self.at, self.by, "fixture",
                             f"Eval fixture #{self.fixture_id} written ({self.forbidden} forbidden strings{tags})")


@dataclass(frozen=True)
class NoFixtureReason:
    at: datetime
    by: str
    reason: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "fixture", f"No eval fixture: {self.reason}")


@dataclass(frozen=True)
class PostmortemPublished:
    at: datetime
    by: str
    version: int
    fingerprint: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "postmortem",
                             f"Postmortem version {self.version} published (sha256 {self.fingerprint})")


@dataclass(frozen=True)
class Closed:
    at: datetime
    by: str
    waiver: str = ""

    def timeline_entry(self) -> TimelineEntry:
        text = f"Closed; lock waived: {self.waiver}" if self.waiver else "Closed: locked by postmortem, fixture and owned actions"
        return TimelineEntry(self.at, self.by, "status", text)
