"""The outbox's rows: recorded in the caller's transaction; then claimed, freed, confirmed and pruned, each in a
short transaction of its own, so that no sender keeps a transaction open while it talks to Slack."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from firehouse.store.tables import OutboxRow

MAX_ERROR = 200


class Sent(NamedTuple):
    """Slack's confirmation of one post, kept until it is written down."""

    row_id: int
    at: datetime
    ts: str


class OutboxStore:
    """The outbox table's reads and writes; every method but `record` commits its own transaction."""

    def __init__(self, engine: Engine | None) -> None:
        self._engine = engine

    def record(self, session: Session, rows: Sequence[OutboxRow], sent: Sequence[Sent]) -> None:
        """Add `rows` and write down `sent` in the caller's transaction, which commits them."""
        session.add_all(rows)
        _write_sent(session, sent)
        session.flush()

    def unsent(self) -> list[OutboxRow]:
        """Every row Slack has not confirmed, oldest first, whoever holds it."""
        with Session(self._engine) as session:
            return list(session.exec(select(OutboxRow).where(col(OutboxRow.sent_at).is_(None))
                                     .order_by(col(OutboxRow.id))))

    def claim(self, row_id: int, *, now: datetime, until: datetime) -> bool:
        """Take the row until `until` and count the attempt, unless another sender holds it: one atomic update
        decides. False when the row is held, or sent."""
        with Session(self._engine) as session:
            claimed = session.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == row_id, col(OutboxRow.sent_at).is_(None),
                       or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now))
                .values(claimed_until=until, attempted_at=now, attempts=OutboxRow.attempts + 1)
            ).rowcount
            session.commit()
        return claimed == 1

    def free(self, row_id: int, *, error: str) -> None:
        """Record why a send failed and give the row up, for the next sweep."""
        with Session(self._engine) as session:
            session.execute(update(OutboxRow).where(col(OutboxRow.id) == row_id)
                            .values(error=error[:MAX_ERROR], claimed_until=None))
            session.commit()

    def confirm(self, sent: Sequence[Sent]) -> None:
        """Write down `sent`, in one transaction; nothing at all when there is nothing to write."""
        if not sent:
            return
        with Session(self._engine) as session:
            _write_sent(session, sent)
            session.commit()

    def release_claims(self) -> None:
        """Free every claim on an unsent row."""
        with Session(self._engine) as session:
            session.execute(update(OutboxRow).where(col(OutboxRow.sent_at).is_(None)).values(claimed_until=None))
            session.commit()

    def prune(self, *, sent_before: datetime) -> int:
        """Delete the rows Slack confirmed before `sent_before`; returns how many. An unsent row is never pruned."""
        with Session(self._engine) as session:
            pruned = session.execute(delete(OutboxRow).where(col(OutboxRow.sent_at).is_not(None),
                                                             col(OutboxRow.sent_at) < sent_before)).rowcount
            session.commit()
        return pruned


def _write_sent(session: Session, sent: Sequence[Sent]) -> None:
    if sent:
        table = OutboxRow.__table__
        session.connection().execute(
            table.update().where(table.c.id == bindparam("row_id")).values(
                sent_at=bindparam("sent"), ts=bindparam("sent_ts"), error=""),
            [{"row_id": s.row_id, "sent": s.at, "sent_ts": s.ts} for s in sent],
        )
