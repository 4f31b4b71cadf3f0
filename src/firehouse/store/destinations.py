"""Destinations that need a person: the outbox's side (each method its own short transaction, so no sender keeps
one open while it talks to Slack) and the use cases' side (`DestinationRepository`, in the caller's unit of work).

A row is written once, by whoever first met the refusal: the insert decides, so people are told once however
many senders met it at the same moment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from firehouse.store.tables import DestinationRow, OutboxRow

WORKSPACE = "*"  # the row of the bot's own token or account: every destination waits


class DestinationStore:
    def __init__(self, engine: Engine | None) -> None:
        self._engine = engine

    def blocked(self) -> dict[str, DestinationRow]:
        """Every destination that needs a person, by channel."""
        with Session(self._engine) as session:
            return {row.channel: row for row in session.exec(select(DestinationRow))}

    def get(self, channel: str) -> DestinationRow | None:
        with Session(self._engine) as session:
            return session.get(DestinationRow, channel)

    def block(self, channel: str, reason: str, *, now: datetime, probe_at: datetime | None) -> bool:
        """Record that `channel` needs a person; False when it was recorded already (by this sender or another)."""
        with Session(self._engine) as session:
            session.add(DestinationRow(channel=channel, reason=reason[:200], since=now, probe_at=probe_at))
            try:
                session.commit()
            except IntegrityError:
                return False
        return True

    def probed(self, channel: str, *, next_at: datetime | None) -> None:
        """One post was tried again and Slack still refused it: the next try is at `next_at`."""
        with Session(self._engine) as session:
            session.execute(update(DestinationRow).where(col(DestinationRow.channel) == channel)
                            .values(probe_at=next_at, probes=DestinationRow.probes + 1))
            session.commit()

    def retry_all(self, *, at: datetime) -> None:
        """Every destination tried again at `at` (a restart), except those only a person's act clears."""
        with Session(self._engine) as session:
            session.execute(update(DestinationRow).where(col(DestinationRow.probe_at).is_not(None))
                            .values(probe_at=at))
            session.commit()

    def clear(self, channel: str) -> bool:
        """Slack takes posts there again (a person acted), or nothing will be owed there: forget the row. Whether
        this sender forgot it: of two that found it, the delete decides which one."""
        with Session(self._engine) as session:
            cleared = session.execute(delete(DestinationRow).where(col(DestinationRow.channel) == channel)).rowcount
            session.commit()
        return cleared == 1


class DestinationRepository:
    """The destinations in a use case's unit of work."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, channel: str) -> DestinationRow | None:
        return self._session.get(DestinationRow, channel)

    def told(self, channel: str, *, at: datetime) -> bool:
        """Mark the people told, unless someone marked them told already: False then (tell nobody again)."""
        return self._session.execute(
            update(DestinationRow).where(col(DestinationRow.channel) == channel, col(DestinationRow.told_at).is_(None))
            .values(told_at=at)).rowcount == 1

    def claim_move(self, channel: str, *, now: datetime, until: datetime) -> bool:
        """Take the opening of a new war room for the archived `channel` until `until`, unless someone else is
        opening it (or opened it: the row is gone then); one atomic update decides."""
        return self._session.execute(
            update(DestinationRow)
            .where(col(DestinationRow.channel) == channel,
                   or_(col(DestinationRow.moving_until).is_(None), col(DestinationRow.moving_until) < now))
            .values(moving_until=until)).rowcount == 1

    def release_move(self, channel: str) -> None:
        """The new war room could not be opened: someone may try again at once."""
        self._session.execute(update(DestinationRow).where(col(DestinationRow.channel) == channel)
                              .values(moving_until=None))

    def forget(self, channel: str) -> None:
        """Nothing will be owed to `channel` again (a new war room replaced it)."""
        self._session.execute(delete(DestinationRow).where(col(DestinationRow.channel) == channel))

    def move_owed(self, incident_id: int, *, old: str, new: str) -> int:
        """Send the incident's posts still owed to `old` to `new` instead; returns how many."""
        return self._session.execute(
            update(OutboxRow).where(col(OutboxRow.incident_id) == incident_id, col(OutboxRow.channel) == old,
                                    col(OutboxRow.sent_at).is_(None), col(OutboxRow.given_up_at).is_(None))
            .values(channel=new, error="", claimed_until=None, next_at=None)).rowcount
