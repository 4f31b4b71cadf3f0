"""The leader's upkeep beside the incidents' jobs: the outbox's retries and pruning, and follow-up reminders.

Each is a `Chore`: work the leader runs on its own interval (or sooner, when the work names its next moment).
Only the replica that leads runs them, from its round (`StatusBoard.lead`), so a replica that lost the lead
stops at once and a new leader starts at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from firehouse.config import Settings
from firehouse.slack.outbox import Outbox
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.deliveries import Deliveries
from firehouse.usecases.paging import Paging
from firehouse.usecases.statuspage import StatusDesk

OUTBOX_SWEEP = timedelta(seconds=10)  # how often the leader retries posts that failed
FOLLOW_UP_CHECK = timedelta(minutes=15)  # how often the leader looks at follow-ups and locks at the least
OUTBOX_PRUNE = timedelta(hours=1)  # how often the leader deletes sent posts older than `outbox_retention`
DELIVERIES_SWEEP = timedelta(seconds=5)  # how often the leader looks for pages and events due again
PAGES_REFRESH = timedelta(minutes=1)  # how often held Alertmanager pages are sent again (they end otherwise)
STATUS_RECOVERY = timedelta(minutes=1)  # how often Statuspage's answers lost in a crash are looked for
# A round comes a moment before a chore's moment as often as after it (the round before did more work, or woke
# later): a chore due within this runs now, so one whose interval is the round's runs every round, not every other.
LEEWAY = timedelta(milliseconds=500)


@dataclass
class Chore:
    """Work the leader does at most every `every`; `work` may name an earlier moment it next has work."""

    name: str
    every: timedelta
    work: Callable[[], datetime | None]
    on_taking_lead: bool = False  # run at once when this replica takes the lead, whatever the interval said
    patient: bool = True  # work that failed waits for its interval too; else it is tried again the next round
    due: datetime | None = None  # when it next runs; None: at the next round

    def run(self, now: datetime, *, taking_lead: bool) -> bool:
        """Do the work if it is due; whether it ran."""
        if not (taking_lead and self.on_taking_lead) and self.due is not None and now + LEEWAY < self.due:
            return False
        later = now + self.every
        if self.patient:
            self.due = later
        self.due = min(self.work() or later, later)
        return True

    def look_again(self) -> None:
        """Something changed that the work depends on: run at the next round."""
        self.due = None


def outbox_sweep(outbox: Outbox) -> Chore:
    """Retry what failed to send, and what a crash left behind; at once on taking the lead."""
    return Chore("outbox sweep", OUTBOX_SWEEP, lambda: _nothing_named(outbox.sweep()), on_taking_lead=True)


def outbox_prune(outbox: Outbox, settings: Settings) -> Chore:
    """Delete sent posts older than the retention."""
    return Chore("outbox prune", OUTBOX_PRUNE,
                 lambda: _nothing_named(outbox.prune(older_than=settings.outbox_retention)))


def follow_up_reminders(afteraction: AfterAction) -> Chore:
    """Remind overdue follow-ups and unlocked incidents at the moment the store says. Capped at FOLLOW_UP_CHECK:
    another replica's changes do not reach this one's cache, so look again anyway."""
    def work() -> datetime | None:
        afteraction.remind()  # idempotent: it reminds only what the store says is due
        return afteraction.next_reminder()
    return Chore("follow-up reminders", FOLLOW_UP_CHECK, work, patient=False)


def deliveries_sweep(deliveries: Deliveries) -> Chore:
    """Wake the sender for retries and what a crash left; at once on taking the lead."""
    return Chore("deliveries sweep", DELIVERIES_SWEEP, lambda: _nothing_named(deliveries.wake()),
                 on_taking_lead=True)


def deliveries_prune(deliveries: Deliveries, settings: Settings) -> Chore:
    """Delete pages and events settled longer ago than the outbox's retention."""
    return Chore("deliveries prune", OUTBOX_PRUNE,
                 lambda: _nothing_named(deliveries.prune(older_than=settings.outbox_retention)))


def pages_refresh(paging: Paging) -> Chore:
    return Chore("pages refresh", PAGES_REFRESH, lambda: _nothing_named(paging.refresh()))


def status_recovery(desk: StatusDesk) -> Chore:
    return Chore("status page recovery", STATUS_RECOVERY, lambda: _nothing_named(desk.recover()),
                 on_taking_lead=True)


def _nothing_named(_done: object) -> None:
    """The outbox's work returns counts, not moments: the chore keeps its interval."""
    return None
