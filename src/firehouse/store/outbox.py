"""The outbox's rows: recorded in the caller's transaction; then claimed, freed, confirmed, given up and pruned,
each in a short transaction of its own, so that no sender keeps a transaction open while it talks to Slack.

A row is owed while it is neither sent (`sent_at`) nor given up (`given_up_at`: Slack refused it for good, it
waited a day, or a later post of the same kind superseded it, `superseded_by`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, or_, update
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

    def record(self, session: Session, rows: Sequence[OutboxRow], sent: Sequence[Sent], *,
               supersedes: Mapping[str, Collection[str]], now: datetime) -> int:
        """Add `rows` and write down `sent` in the caller's transaction, which commits them. An owed post of
        the incident in the same channel whose kind a new row `supersedes` is given up, superseded by it, unless
        a sender holds it (it may be reaching Slack right now). Returns how many were superseded."""
        session.add_all(rows)
        _write_sent(session, sent)
        session.flush()
        superseded = 0
        for row in rows:
            if kinds := supersedes.get(row.kind):
                superseded += session.execute(
                    update(OutboxRow)
                    .where(*_owed(), col(OutboxRow.incident_id) == row.incident_id,
                           col(OutboxRow.channel) == row.channel, col(OutboxRow.kind).in_(list(kinds)),
                           col(OutboxRow.id) < row.id,
                           or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now))
                    .values(given_up_at=now, superseded_by=row.id, error=f"superseded by post {row.id}")).rowcount
        return superseded

    def record_alone(self, rows: Sequence[OutboxRow], *, supersedes: Mapping[str, Collection[str]],
                     now: datetime) -> int:
        """`record` in a transaction of its own, committed."""
        with Session(self._engine) as session:
            superseded = self.record(session, rows, [], supersedes=supersedes, now=now)
            session.commit()
        return superseded

    def now(self, row_id: int) -> OutboxRow | None:
        """The row as it stands, if it is still owed."""
        with Session(self._engine) as session:
            return session.exec(select(OutboxRow).where(col(OutboxRow.id) == row_id, *_owed())).first()

    def newer(self, row: OutboxRow, kinds: Collection[str]) -> int | None:
        """The latest post of `kinds` owed after `row` for its incident in its channel, if there is one."""
        if not kinds:
            return None
        with Session(self._engine) as session:
            return session.exec(select(func.max(OutboxRow.id)).where(
                *_owed(), col(OutboxRow.incident_id) == row.incident_id, col(OutboxRow.channel) == row.channel,
                col(OutboxRow.kind).in_(list(kinds)), col(OutboxRow.id) > row.id)).one()

    def supersede(self, row_id: int, *, by: int, at: datetime) -> bool:
        """Give a held row up as superseded by row `by`; False if it was settled a moment ago."""
        with Session(self._engine) as session:
            done = session.execute(update(OutboxRow).where(col(OutboxRow.id) == row_id, *_owed())
                                   .values(given_up_at=at, superseded_by=by, error=f"superseded by post {by}",
                                           claimed_until=None)).rowcount
            session.commit()
        return done == 1

    def unsent(self) -> list[OutboxRow]:
        """Every row still owed, oldest first, whoever holds it."""
        with Session(self._engine) as session:
            return list(session.exec(select(OutboxRow).where(*_owed()).order_by(col(OutboxRow.id))))

    def owed_to(self, channel: str, *, before: int | None = None, after: int = 0) -> list[OutboxRow]:
        """The rows still owed to `channel` (between rows `after` and `before`, when given), oldest first."""
        bounds = [col(OutboxRow.id) > after] + ([col(OutboxRow.id) < before] if before is not None else [])
        with Session(self._engine) as session:
            return list(session.exec(select(OutboxRow).where(*_owed(), col(OutboxRow.channel) == channel, *bounds)
                                     .order_by(col(OutboxRow.id))))

    def claim(self, row_id: int, *, now: datetime, until: datetime) -> bool:
        """Take the row until `until` and count the attempt, unless another sender holds it: one atomic update
        decides. False when the row is held, sent or given up."""
        with Session(self._engine) as session:
            claimed = session.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == row_id, *_owed(),
                       or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now),
                       or_(col(OutboxRow.next_at).is_(None), col(OutboxRow.next_at) <= now))
                .values(claimed_until=until, attempted_at=now, attempts=OutboxRow.attempts + 1)
            ).rowcount
            session.commit()
        return claimed == 1

    def free(self, row_id: int, *, error: str, next_at: datetime | None = None) -> None:
        """Record why a send failed and give the row up: for the next sweep, or (`next_at`) for none before then."""
        with Session(self._engine) as session:
            session.execute(update(OutboxRow).where(col(OutboxRow.id) == row_id)
                            .values(error=error[:MAX_ERROR], claimed_until=None, next_at=next_at))
            session.commit()

    def release(self, row_ids: Collection[int]) -> None:
        """Give back rows recorded as held and attempted that were never tried (a post before them waits)."""
        if row_ids:
            with Session(self._engine) as session:
                session.execute(update(OutboxRow).where(col(OutboxRow.id).in_(list(row_ids)))
                                .values(claimed_until=None, attempted_at=None, attempts=OutboxRow.attempts - 1))
                session.commit()

    def give_up(self, row_ids: Collection[int], *, reason: str, at: datetime) -> set[int]:
        """Never send these rows: Slack refused them for good, or they waited too long. Returns the ids given up
        now (not those another sender gave up, or sent, a moment before)."""
        if not row_ids:
            return set()
        with Session(self._engine) as session:
            given_up = session.execute(update(OutboxRow).where(col(OutboxRow.id).in_(list(row_ids)), *_owed())
                                       .values(given_up_at=at, error=reason[:MAX_ERROR], claimed_until=None)
                                       .returning(OutboxRow.id)).scalars().all()
            session.commit()
        return set(given_up)

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
        """Delete the rows Slack confirmed, or that were given up, before `sent_before`; returns how many. A row
        still owed is never pruned."""
        with Session(self._engine) as session:
            pruned = session.execute(delete(OutboxRow).where(or_(
                col(OutboxRow.sent_at) < sent_before, col(OutboxRow.given_up_at) < sent_before))).rowcount
            session.commit()
        return pruned


def _owed() -> tuple:
    """The conditions of a row still owed: not sent, not given up."""
    return col(OutboxRow.sent_at).is_(None), col(OutboxRow.given_up_at).is_(None)


def _write_sent(session: Session, sent: Sequence[Sent]) -> None:
    if sent:
        table = OutboxRow.__table__
        session.connection().execute(
            table.update().where(table.c.id == bindparam("row_id")).values(
                sent_at=bindparam("sent"), ts=bindparam("sent_ts"), error=""),
            [{"row_id": s.row_id, "sent": s.at, "sent_ts": s.ts} for s in sent],
        )
