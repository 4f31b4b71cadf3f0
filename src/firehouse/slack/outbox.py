"""Posts owed to Slack, delivered at least once and, with Slack's help, exactly once.

A post is stored in the same transaction as the decision that owes it, already claimed by the process
that made the decision (claimed for a while and stamped `attempted_at`), so on the happy path that one
transaction is the only write before the send. Slack's confirmation (`sent_at`, `ts`) is kept in
memory and written with the next transaction this process makes anyway, or by the leader's next
round a few seconds later. A row attempted but never confirmed (the bot died in between) is looked up
in the channel's history by the metadata every post carries before it is sent again, once its claim
has run out, so a crash neither loses nor doubles a post. That metadata is the row's `key`, a UUID, not
its id: ids repeat across databases, and another deployment posting into the same stakeholder channel
(or this one before a database reset) must never have its post taken for ours. Two senders never hold
the same row: a sweep takes a row only by one atomic update of its claim.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from firehouse.errors import SlackFailure
from firehouse.slack.gateway import Message, SlackGateway
from firehouse.slack.limits import fit_blocks
from firehouse.store.outbox import OutboxStore, Sent
from firehouse.store.tables import OutboxRow

log = logging.getLogger(__name__)

METADATA_EVENT = "firehouse_post"
CLAIM = timedelta(minutes=2)  # longer than a send with all its retries can take


def post_metadata(row: OutboxRow) -> dict:
    """What a post carries in Slack to be recognised after a crash: its row's key, and nothing that repeats
    across databases (the previous release's `outbox_id`, which that release would match, is left out)."""
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_key": row.key}}


def is_post_of(message: dict, row: OutboxRow) -> bool:
    """Whether `message` in the channel is `row`'s post: by key only. A post by the previous release carries
    only its row id, which is not proof (another database's row may have it), so it never matches."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == METADATA_EVENT and payload.get("outbox_key") == row.key


class Outbox:
    """Records, sends and confirms owed posts; safe to call from several threads at once."""

    def __init__(self, *, engine: Engine, gateway: SlackGateway, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.gateway = gateway
        self.clock = clock
        self._store = OutboxStore(engine)
        self._lock = threading.Lock()
        self._confirmed: list[Sent] = []  # sent, not yet written down
        self.on_sent: list[Callable[[str, datetime, datetime], object]] = []  # told (kind, due, sent) per post

    def add(self, session: Session, incident_id: int, owed: Iterable[tuple[str, str, Message, datetime]]
            ) -> list[OutboxRow]:
        """Record (kind, channel, message, due) posts in the caller's transaction, claimed by this process,
        together with the confirmations still waiting to be written."""
        now = self.clock()
        rows = [
            OutboxRow(incident_id=incident_id, kind=kind, channel=channel, text=message.text,
                      # stored as the JSON Slack takes, so built now; the gateway's fitting on send finds
                      # nothing more to do
                      blocks=fit_blocks(message.blocks)[0], due_at=due,
                      claimed_until=now + CLAIM, attempted_at=now, attempts=1)
            for kind, channel, message, due in owed
        ]
        self._store.record(session, rows, self._take_confirmed())
        return rows

    def deliver(self, rows: Sequence[OutboxRow]) -> int:
        """Send rows this process recorded (and so holds); returns how many Slack took."""
        return sum(self._send(row, checked=True) for row in rows)

    def sweep(self) -> int:
        """Send every unsent row nobody else holds: failed sends, and what a crash left behind."""
        return sum(self._send(row, checked=False) for row in self._store.unsent() if self._claim(row))

    def confirm(self) -> None:
        """Write down the confirmations kept in memory, in one transaction."""
        self._store.confirm(self._take_confirmed())

    def release_claims(self) -> None:
        """Free every claim: only for a process that knows it is the only sender (SQLite at start-up), so
        what a crash left in flight is checked and sent at once instead of after the claim runs out."""
        self._store.release_claims()

    def prune(self, *, older_than: timedelta) -> int:
        """Delete posts Slack confirmed more than `older_than` ago; returns how many. Only the outbox forgets:
        what was said stays on the timeline and in the notices, and an unsent row is never pruned."""
        cutoff = self.clock() - older_than
        pruned = self._store.prune(sent_before=cutoff)
        if pruned:
            log.info("outbox: pruned %d post%s sent before %s", pruned, "" if pruned == 1 else "s",
                     cutoff.isoformat(timespec="seconds"))
        return pruned

    def _take_confirmed(self) -> list[Sent]:
        with self._lock:
            confirmed, self._confirmed = self._confirmed, []
        return confirmed

    def _claim(self, row: OutboxRow) -> bool:
        """Take the row for a while and stamp the attempt, unless another sender holds it. `row` keeps what it
        was read with, so an earlier attempt is still visible."""
        now = self.clock()
        return self._store.claim(row.id, now=now, until=now + CLAIM)

    def _send(self, row: OutboxRow, *, checked: bool) -> bool:
        """Send one held row; unless `checked` (it was recorded just now), first look for an earlier
        attempt that did reach Slack."""
        if not checked and row.attempted_at and (ts := self._already_posted(row)):
            self._confirm(row.id, ts)
            return True
        try:
            ts = self.gateway.post(row.channel, Message(text=row.text, blocks=row.blocks),
                                   metadata=post_metadata(row))
        except SlackFailure as failure:
            log.warning("outbox %s (%s) not sent: %s", row.id, row.kind, failure.error)
            self._store.free(row.id, error=failure.error)  # for the next sweep
            return False
        self._confirm(row.id, ts)
        for each in self.on_sent:
            each(row.kind, row.due_at, self.clock())
        return True

    def _confirm(self, row_id: int, ts: str) -> None:
        with self._lock:
            self._confirmed.append(Sent(row_id, self.clock(), ts))

    def _already_posted(self, row: OutboxRow) -> str | None:
        """The ts of this row's message if an earlier attempt did reach Slack."""
        try:
            for message in self.gateway.recent_messages(row.channel, limit=100):
                if is_post_of(message, row):
                    return message.get("ts")
        except SlackFailure as failure:
            log.warning("could not check history for outbox %s: %s", row.id, failure.error)
        return None
