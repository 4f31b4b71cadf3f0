"""The after-action lock's records: follow-up actions, eval fixtures and the postmortem's versions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from firehouse.domain.afteraction import ActionState, Fixture, FollowUp, PostmortemVersion
from firehouse.store.mapping import RowMap, Stored
from firehouse.store.tables import FixtureRow, FollowUpRow, IncidentRow, PostmortemRow

ACTION = RowMap(FollowUp, FollowUpRow)
# `metadata` is SQLAlchemy's own attribute on a table class, so the column's attribute is `meta`.
FIXTURE = RowMap(Fixture, FixtureRow, stored={
    "metadata": Stored(("meta",), dump=lambda metadata: {"meta": dict(metadata)}, load=lambda row: dict(row.meta))})
# The fingerprint is computed from the text: written beside it, never read back.
POSTMORTEM = RowMap(PostmortemVersion, PostmortemRow, derived={"fingerprint": lambda version: version.fingerprint})


class AfterActionRepository:
    """Follow-ups, fixtures and postmortem versions inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_action(self, action: FollowUp) -> FollowUp:
        """Store a new follow-up action; sets `action.id`."""
        return ACTION.add(self._session, action)

    def save_action(self, action: FollowUp) -> None:
        ACTION.save(self._session, action)

    def action(self, action_id: int) -> FollowUp | None:
        return ACTION.get(self._session, action_id)

    def actions(self, incident_id: int) -> list[FollowUp]:
        """The incident's follow-up actions, oldest first."""
        return ACTION.of(self._session, incident_id)

    def open_actions(self) -> list[FollowUp]:
        """Every open follow-up action of every real incident, closed ones too: follow-ups outlive the war room.
        A drill's are practice, listed in its war room and never reminded."""
        rows = self._session.exec(select(FollowUpRow)
                                  .join(IncidentRow, col(IncidentRow.id) == col(FollowUpRow.incident_id))
                                  .where(FollowUpRow.state == ActionState.OPEN.value, col(IncidentRow.drill).is_(False))
                                  .order_by(col(FollowUpRow.id)))
        return [ACTION.load(row) for row in rows]

    def add_fixture(self, fixture: Fixture) -> Fixture:
        """Store a new eval fixture; sets `fixture.id`."""
        return FIXTURE.add(self._session, fixture)

    def fixtures(self, incident_id: int | None = None, *, since: datetime | None = None,
                 class_id: str | None = None) -> list[Fixture]:
        """Fixtures, oldest first: one incident's, or all of the real incidents (a drill's are practice and never
        reach the regression gate), created since `since`, of incidents of `class_id`."""
        query = select(FixtureRow).order_by(col(FixtureRow.id))
        if incident_id is not None:
            query = query.where(FixtureRow.incident_id == incident_id)
        else:
            query = query.join(IncidentRow, col(IncidentRow.id) == col(FixtureRow.incident_id)).where(
                col(IncidentRow.drill).is_(False))
            if class_id is not None:
                query = query.where(IncidentRow.class_id == class_id)
        if since is not None:
            query = query.where(col(FixtureRow.created_at) >= since)
        return [FIXTURE.load(row) for row in self._session.exec(query)]

    def add_postmortem(self, postmortem: PostmortemVersion) -> PostmortemVersion:
        """Store a drafted version, verbatim; sets `postmortem.id`."""
        return POSTMORTEM.add(self._session, postmortem)

    def save_postmortem(self, postmortem: PostmortemVersion) -> None:
        """Stamp a draft as published; its text never changes."""
        row = self._session.get(PostmortemRow, postmortem.id)
        row.published_by, row.published_at = postmortem.published_by, postmortem.published_at

    def postmortems(self, incident_id: int) -> list[PostmortemVersion]:
        """Every drafted version, oldest first."""
        return POSTMORTEM.of(self._session, incident_id, order=PostmortemRow.version)
