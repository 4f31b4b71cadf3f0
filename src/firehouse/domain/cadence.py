"""The incident's part of the status board: when the next update is due, and what a missed one changes.

A mixin of `Incident` (domain/model.py), kept apart so the aggregate's rules stay readable; it reads and
writes the incident's board fields: `next_update_due`, `last_update_at`, `update_prompted`, `snoozed_until`,
`missed_updates`, `checklist_step` and `declared_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from firehouse.domain.board import checkpoint_reached, next_update_due, rescheduled_due
from firehouse.domain.events import UpdateMissed, UpdatePosted
from firehouse.domain.text import MAX_TEXT, check_text


class OnTheBoard:
    """Status updates, prompts, snoozes, missed updates and the first-hour checklist of an incident."""

    def post_update(self, text: str, *, by: str, at: datetime, interval: timedelta | None) -> UpdatePosted:
        """A status update: stakeholders hear it, and the next one is due a full interval from now."""
        text = check_text(text, what="update", limit=MAX_TEXT)
        self.last_update_at = at
        self.missed_updates = 0
        self._start_cycle(at + interval if interval else None)
        return UpdatePosted(at=at, by=by, text=text, next_due=self.next_update_due)

    def retime(self, *, old: timedelta | None, new: timedelta | None, now: datetime) -> None:
        """Follow a change of cadence: stop when resolved, restart when reopened, stretch or shrink otherwise."""
        if new is None:
            self._start_cycle(None)
        elif old is None or self.next_update_due is None:
            self._start_cycle(now + new)
        elif old != new:
            self._start_cycle(rescheduled_due(due=self.next_update_due, old=old, new=new, now=now))

    def prompted(self) -> None:
        self.update_prompted = True

    def snooze(self, until: datetime) -> None:
        """Prompt again at `until` (if that is before the update is due)."""
        self.update_prompted = False
        self.snoozed_until = until

    def update_missed(self, *, interval: timedelta, now: datetime, by: str) -> UpdateMissed:
        """The update was due and none came; the next cycle starts (once, however long the bot was down)."""
        due = self.next_update_due
        self.missed_updates += 1
        self._start_cycle(next_update_due(due, interval, now))
        return UpdateMissed(at=now, by=by, due=due, missed=self.missed_updates, next_due=self.next_update_due)

    def checklist_passed(self, now: datetime, offsets: Sequence[timedelta]) -> None:
        """Mark the first-hour checkpoints up to `now` as handled: a checklist missed while down is sent once."""
        self.checklist_step = max(self.checklist_step, checkpoint_reached(self.declared_at, now, offsets))

    def _start_cycle(self, due: datetime | None) -> None:
        self.next_update_due = due
        self.update_prompted = False
        self.snoozed_until = None
