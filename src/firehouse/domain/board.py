"""The status board: when the captain is prompted, when stakeholders are owed an update, and the
first-hour checklist. Time is always a parameter.

Each cycle ends at `due`. The captain is prompted `lead` before it (or when a snooze ends); at `due`,
if no update came, stakeholders hear that there is no new information and the next cycle starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firehouse.domain.lifecycle import Status
from firehouse.domain.severity import Severity

MAX_LEAD = timedelta(minutes=5)
FIRST_HOUR = (timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40), timedelta(minutes=60))


@dataclass(frozen=True)
class Cadence:
    """How often stakeholders hear from the war room, per severity and optionally per status."""

    by_severity: Mapping[Severity, timedelta]
    by_status: Mapping[Status, Mapping[Severity, timedelta]] = field(default_factory=dict)

    def interval(self, severity: Severity, status: Status) -> timedelta | None:
        """The time between updates; None once the incident is resolved."""
        if not status.is_open:
            return None
        return self.by_status.get(status, {}).get(severity) or self.by_severity[severity]


def lead(interval: timedelta) -> timedelta:
    """How long before an update is due the captain is prompted: a third of the cycle, at most 5 minutes."""
    return min(MAX_LEAD, interval / 3)


def next_update_due(last_update_at: datetime, interval: timedelta, now: datetime) -> datetime:
    """The next due time on the rhythm that started at `last_update_at`; a missed one is not repeated.

    If the bot was down through several cycles, the rhythm restarts from `now` instead of owing one
    update per missed cycle.
    """
    due = last_update_at + interval
    return due if due > now else now + interval


def rescheduled_due(*, due: datetime, old: timedelta, new: timedelta, now: datetime) -> datetime:
    """The due time after the interval changed mid-cycle (a severity or status change).

    The current cycle is stretched or shrunk to the new interval, but never to less than the prompt lead
    from now, so the captain always has a moment to write.
    """
    return max(due - old + new, now + lead(new))


@dataclass(frozen=True)
class BoardStep:
    """What the board does next for one incident, and when."""

    at: datetime
    kind: str  # "prompt" (ask the captain) or "due" (tell stakeholders, if no update came)


def next_step(*, due: datetime, interval: timedelta, prompted: bool, snoozed_until: datetime | None) -> BoardStep:
    if not prompted:
        prompt_at = snoozed_until or due - lead(interval)
        if prompt_at < due:
            return BoardStep(prompt_at, "prompt")
    return BoardStep(due, "due")


def next_checkpoint(declared_at: datetime, step: int, offsets: Sequence[timedelta] = FIRST_HOUR) -> datetime | None:
    """When the next first-hour checklist is due; None once every checkpoint has passed."""
    return declared_at + offsets[step] if step < len(offsets) else None


def checkpoint_reached(declared_at: datetime, now: datetime, offsets: Sequence[timedelta] = FIRST_HOUR) -> int:
    """How many checkpoints have passed at `now`."""
    return sum(1 for offset in offsets if declared_at + offset <= now)


PHASES = (
    ("classify", "Classify and name a captain: confirm the class and severity"),
    ("contain", "Contain: pull a firebreak (kill switch, rollback, fallback to a human) and set status contained"),
    ("evidence", "Preserve evidence: freeze the model, prompt, config and the bad output with `/incident snapshot`"),
    ("communicate", "Stabilize and communicate: post a status update with `/incident update`"),
)


def open_phase_items(*, classified: bool, contained: bool, evidence: bool, updated: bool) -> list[str]:
    """The first-hour phase items not done yet, in order."""
    done = {"classify": classified, "contain": contained, "evidence": evidence, "communicate": updated}
    return [text for key, text in PHASES if not done[key]]
