"""Evidence and containment: the snapshots frozen in an incident, and the firebreaks pulled in it."""

from __future__ import annotations

from sqlmodel import Session, col, select

from firehouse.domain.firebreaks import Firebreak, State
from firehouse.domain.snapshots import Snapshot
from firehouse.store.mapping import RowMap
from firehouse.store.tables import FirebreakRow, SnapshotRow

SNAPSHOT = RowMap(Snapshot, SnapshotRow)
FIREBREAK = RowMap(Firebreak, FirebreakRow)


class EvidenceRepository:
    """Snapshots and firebreaks inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_snapshot(self, snapshot: Snapshot) -> Snapshot:
        """Store a snapshot; it is never updated afterwards. Sets `snapshot.id`."""
        return SNAPSHOT.add(self._session, snapshot)

    def snapshots(self, incident_id: int) -> list[Snapshot]:
        """The incident's snapshots, oldest first."""
        return SNAPSHOT.of(self._session, incident_id)

    def snapshot_index(self, incident_id: int) -> list[tuple[int, str, bool]]:
        """(number, fingerprint, whether it holds a raw trace) of the incident's snapshots, oldest first, without
        their contents."""
        return [tuple(row) for row in self._session.exec(
            select(SnapshotRow.id, SnapshotRow.fingerprint, col(SnapshotRow.trace_raw).is_not(None))
            .where(SnapshotRow.incident_id == incident_id).order_by(col(SnapshotRow.id)))]

    def snapshot(self, snapshot_id: int) -> Snapshot | None:
        return SNAPSHOT.get(self._session, snapshot_id)

    def has_snapshot(self, incident_id: int) -> bool:
        query = select(SnapshotRow.id).where(SnapshotRow.incident_id == incident_id)
        return self._session.exec(query).first() is not None

    def add_firebreak(self, firebreak: Firebreak) -> Firebreak:
        """Store a pulled (or hand-recorded) firebreak; sets `firebreak.id`."""
        return FIREBREAK.add(self._session, firebreak)

    def save_firebreak(self, firebreak: Firebreak) -> None:
        FIREBREAK.save(self._session, firebreak)

    def firebreaks(self, incident_id: int) -> list[Firebreak]:
        """The incident's firebreaks, oldest first."""
        return FIREBREAK.of(self._session, incident_id)

    def requested_firebreaks(self) -> list[Firebreak]:
        """Pulls that were requested but never answered: a restart came in between."""
        rows = self._session.exec(select(FirebreakRow).where(FirebreakRow.state == State.REQUESTED.value)
                                  .order_by(col(FirebreakRow.id)))
        return [FIREBREAK.load(row) for row in rows]
