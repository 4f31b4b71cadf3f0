"""The incident's legal lane: the facts notices need, the regulatory deadlines and their reminders.

A mixin of `Incident` (domain/model.py), kept apart so the aggregate's rules stay readable; it reads and
writes the incident's legal fields: `facts`, `not_reportable`, `reported`, `reminded`, and reads `drill`,
`class_id`, `aware_at`, `declared_at` and `classified_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from firehouse.domain.clocks import REGIMES, Deadline, deadlines
from firehouse.domain.events import FIREHOUSE, DeadlineReminded, DecidedNotReportable, FactRecorded
from firehouse.domain.facts import CHOICES, FACTS, MAX_FACT
from firehouse.domain.text import MAX_TEXT, check_text
from firehouse.errors import InvalidChange, echo


class LegalLane:
    """Facts, deadlines, not-reportable decisions and deadline reminders of an incident."""

    def record_facts(self, facts: Mapping[str, str], *, by: str, at: datetime) -> list[FactRecorded]:
        """Record facts the notices need; an empty value clears a fact."""
        unknown = sorted(set(facts) - set(FACTS))
        if unknown:
            raise InvalidChange(f"`{echo(unknown[0])}` is not a fact I know. Facts: {', '.join(FACTS)}.")
        events = []
        for key, value in facts.items():
            value = value.strip()
            if len(value) > MAX_FACT:
                raise InvalidChange(f"The fact {echo(key)} is {len(value):,} characters long; keep it to {MAX_FACT:,}.")
            if value and key in CHOICES and value not in CHOICES[key]:
                raise InvalidChange(f"{key} is one of {', '.join(CHOICES[key])}, not `{echo(value)}`.")
            if value:
                self.facts[key] = value
            else:
                self.facts.pop(key, None)
            events.append(FactRecorded(at=at, by=by, key=key, value=value))
        return events

    def deadlines(self, regimes: Mapping[str, tuple[str, ...]]) -> list[Deadline]:
        """The deadlines of the enabled `regimes` (id → classes covered) that apply to this incident's class.
        A drill starts no regulatory clock."""
        if self.drill:
            return []
        return [
            deadline
            for regime, classes in regimes.items()
            if self.class_id in classes
            for deadline in deadlines(regime, aware_at=self.aware_at or self.declared_at,
                                      classified_at=self.classified_at, facts=self.facts)
        ]

    def open_deadlines(self, regimes: Mapping[str, tuple[str, ...]]) -> list[Deadline]:
        """Deadlines still owed: not met by a notice marked sent, and not decided not reportable."""
        return [d for d in self.deadlines(regimes)
                if d.key not in self.reported and d.regime not in self.not_reportable]

    def decide_not_reportable(self, regime: str, reason: str, *, by: str, at: datetime) -> DecidedNotReportable:
        """Record that `regime` does not require a report, and why; its reminders stop."""
        if regime in self.not_reportable:
            raise InvalidChange(f"Not reportable under {REGIMES[regime].name} was already recorded.")
        reason = check_text(reason, what="reason", limit=MAX_TEXT)
        self.not_reportable[regime] = {"reason": reason, "by": by, "at": at.isoformat()}
        return DecidedNotReportable(at=at, by=by, regime=REGIMES[regime].name, reason=reason)

    def reminders_due(self, regimes: Mapping[str, tuple[str, ...]], now: datetime) -> list[DeadlineReminded]:
        """The deadline reminders that are due and not yet sent; only the latest point of each deadline,
        so a reminder missed while the bot was down is sent once."""
        due = []
        for deadline in self.open_deadlines(regimes):
            passed = [(point, at) for point, at in deadline.reminders() if at <= now]
            if passed and f"{deadline.key}@{passed[-1][0]}" not in self.reminded:
                point = passed[-1][0]
                keys = [f"{deadline.key}@{p}" for p, _ in passed]
                self.reminded += [key for key in keys if key not in self.reminded]
                due.append(DeadlineReminded(at=now, by=FIREHOUSE, key=deadline.key, point=point, due=deadline.due))
        return due

    def next_reminder(self, regimes: Mapping[str, tuple[str, ...]]) -> datetime | None:
        moments = [at for d in self.open_deadlines(regimes) for point, at in d.reminders()
                   if f"{d.key}@{point}" not in self.reminded]
        return min(moments, default=None)
