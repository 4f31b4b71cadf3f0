"""Posts the status board owes Slack, delivered at least once and, with Slack's help, exactly once.

A post is stored in the same transaction as the decision that owes it. A sender claims a row in the
database for a while (so two threads or two replicas never send the same row) and stamps it
`attempted_at`; after Slack confirms, `sent_at`. A row attempted but never confirmed (the bot died in
between) is looked up in the channel's history by the metadata every post carries before it is sent
again, once its claim has run out, so a crash neither loses nor doubles a post.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from firehouse.errors import SlackFailure
from firehouse.slack.gateway import Message, SlackGateway
from firehouse.store.tables import OutboxRow

log = logging.getLogger(__name__)

METADATA_EVENT = "firehouse_post"
CLAIM = timedelta(minutes=2)  # longer than a send with all its retries can take


@dataclass(frozen=True)
class Post:
    """One message the board owes: where, what, and when it was due (for lateness)."""

    kind: str
    channel: str
    message: Message
    due_at: datetime


def add_posts(session: Session, incident_id: int, posts: Iterable[Post]) -> list[OutboxRow]:
    """Record posts inside the caller's transaction; they are sent after it commits."""
    rows = [
        OutboxRow(incident_id=incident_id, kind=p.kind, channel=p.channel, text=p.message.text,
                  blocks=[b.to_dict() if hasattr(b, "to_dict") else b for b in p.message.blocks], due_at=p.due_at)
        for p in posts
    ]
    session.add_all(rows)
    session.flush()
    return rows


class Outbox:
    """Sends what the outbox holds; safe to call from several threads at once."""

    def __init__(self, *, engine: Engine, gateway: SlackGateway, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.gateway = gateway
        self.clock = clock

    def deliver(self, ids: Iterable[int] | None = None) -> int:
        """Send the given unsent rows (or all of them) that nobody else is sending; returns how many Slack
        confirmed."""
        with Session(self.engine) as session:
            query = select(OutboxRow).where(col(OutboxRow.sent_at).is_(None)).order_by(col(OutboxRow.id))
            if ids is not None:
                query = query.where(col(OutboxRow.id).in_(list(ids)))
            rows = list(session.exec(query))
        return sum(self._send(row) for row in rows if self._claim(row))

    def release_claims(self) -> None:
        """Free every claim: only for a process that knows it is the only sender (SQLite at start-up), so
        what a crash left in flight is checked and sent at once instead of after the claim runs out."""
        with Session(self.engine) as session:
            session.execute(update(OutboxRow).where(col(OutboxRow.sent_at).is_(None)).values(claimed_until=None))
            session.commit()

    def _claim(self, row: OutboxRow) -> bool:
        """Take the row for a while and stamp the attempt, unless another sender holds it: one atomic
        update decides. `row` keeps what it was read with, so an earlier attempt is still visible."""
        now = self.clock()
        with Session(self.engine) as session:
            claimed = session.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == row.id, col(OutboxRow.sent_at).is_(None),
                       or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now))
                .values(claimed_until=now + CLAIM, attempted_at=now, attempts=OutboxRow.attempts + 1)
            ).rowcount
            session.commit()
        return claimed == 1

    def _send(self, row: OutboxRow) -> bool:
        if row.attempted_at and (ts := self._already_posted(row)):
            self._mark(row.id, sent_at=self.clock(), ts=ts, error="")
            return True
        try:
            ts = self.gateway.post(row.channel, Message(text=row.text, blocks=row.blocks),
                                   metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": row.id}})
        except SlackFailure as failure:
            log.warning("outbox %s (%s) not sent: %s", row.id, row.kind, failure.error)
            self._mark(row.id, error=failure.error[:200], claimed_until=None)  # free for the next sweep
            return False
        self._mark(row.id, sent_at=self.clock(), ts=ts, error="")
        return True

    def _already_posted(self, row: OutboxRow) -> str | None:
        """The ts of this row's message if an earlier attempt did reach Slack."""
        try:
            for message in self.gateway.recent_messages(row.channel, limit=100):
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("outbox_id") == row.id:
                    return message.get("ts")
        except SlackFailure as failure:
            log.warning("could not check history for outbox %s: %s", row.id, failure.error)
        return None

    def _mark(self, row_id: int, **values) -> None:
        with Session(self.engine) as session:
            row = session.get(OutboxRow, row_id)
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
            session.commit()
