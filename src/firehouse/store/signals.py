"""Live signals' records: the signals each war room watches, and each firebreak's measured effect on them."""

from __future__ import annotations

from sqlmodel import Session

from firehouse.domain.signals import Signal
from firehouse.domain.verification import Verification
from firehouse.domain.watches import Watch
from firehouse.store.mapping import RowMap, Stored
from firehouse.store.tables import VerificationRow, WatchRow

# The signal is kept whole, as it was watched; its name is a column of its own to find a watch by.
WATCH = RowMap(Watch, WatchRow, stored={
    "signal": Stored(("name", "signal"), dump=lambda signal: {"name": signal.name, "signal": signal.to_json()},
                     load=lambda row: Signal.from_json(row.signal))})
VERIFICATION = RowMap(Verification, VerificationRow)


class SignalRepository:
    """Watches and verifications inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_watch(self, watch: Watch) -> Watch:
        """Store a new watch; sets `watch.id`."""
        return WATCH.add(self._session, watch)

    def save_watch(self, watch: Watch) -> None:
        WATCH.save(self._session, watch)

    def watches(self, incident_id: int, *, active: bool = True) -> list[Watch]:
        """The incident's watches, oldest first: only those still watched (the first of each signal, should two
        replicas have started one at once), unless `active` is False."""
        found = WATCH.of(self._session, incident_id)
        if not active:
            return found
        first: dict[str, Watch] = {}
        for watch in found:
            if watch.active:
                first.setdefault(watch.signal.name, watch)
        return list(first.values())

    def add_verification(self, verification: Verification) -> Verification:
        return VERIFICATION.add(self._session, verification)

    def verifications(self, incident_id: int) -> list[Verification]:
        """The incident's measured effects, in the order they were measured."""
        return VERIFICATION.of(self._session, incident_id)
