"""Drill runs: the scenario frozen as it was when the drill started, the injects sent, the readiness report."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from firehouse.domain.drills import DrillRun, Readiness, Scenario
from firehouse.store.mapping import RowMap, Stored
from firehouse.store.tables import DrillRow

# The scenario's name is a column of its own, so that runs of one scenario compare; the script is the whole of it.
DRILL = RowMap(DrillRun, DrillRow, stored={
    "scenario": Stored(("scenario", "script"), dump=lambda scenario: {"scenario": scenario.name,
                                                                      "script": scenario.to_json()},
                       load=lambda row: Scenario.from_json(row.script)),
    "report": Stored(("report",), dump=lambda report: {"report": report.to_json() if report else None},
                     load=lambda row: Readiness.from_json(row.report) if row.report else None)})
ENDING = ("ended_by", "ended_at", "report")  # what ending a run writes, and all it may write


class DrillRepository:
    """Drill runs inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, run: DrillRun) -> DrillRun:
        """Store a new run; sets `run.id`."""
        return DRILL.add(self._session, run)

    def save(self, run: DrillRun) -> None:
        DRILL.save(self._session, run)

    def end(self, run: DrillRun) -> bool:
        """Write an ended run, unless another process ended it first: one conditional update, so a person's
        `drill end` and the time limit (or two replicas) never both score it. False when it was ended already."""
        values = DRILL.values(run)
        ended = self._session.execute(
            update(DrillRow).where(col(DrillRow.id) == run.id, col(DrillRow.ended_at).is_(None))
            .values({name: values[name] for name in ENDING}))
        return ended.rowcount == 1

    def of(self, incident_id: int) -> DrillRun | None:
        """The run of the drill that `incident_id` is, or None for a real incident."""
        row = self._session.exec(select(DrillRow).where(DrillRow.incident_id == incident_id)).first()
        return DRILL.load(row) if row else None

    def runs(self, *, scenario: str | None = None, ended: bool | None = None) -> list[DrillRun]:
        """Runs, oldest first: of one scenario, and only those that ended (or only those still running)."""
        query = select(DrillRow).order_by(col(DrillRow.started_at), col(DrillRow.id))
        if scenario is not None:
            query = query.where(DrillRow.scenario == scenario)
        if ended is not None:
            query = query.where(col(DrillRow.ended_at).is_not(None) if ended else col(DrillRow.ended_at).is_(None))
        return [DRILL.load(row) for row in self._session.exec(query)]
