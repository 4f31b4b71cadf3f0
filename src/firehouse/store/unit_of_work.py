"""One unit of work per change: a session, the repository, and an explicit commit."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from firehouse.store.alerts import AlertRepository
from firehouse.store.repository import IncidentRepository


class UnitOfWork:
    """`with UnitOfWork(engine) as uow: …; uow.commit()` — without commit, nothing is written."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        self.incidents = IncidentRepository(self.session)
        self.alerts = AlertRepository(self.session)
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
