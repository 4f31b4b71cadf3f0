"""One unit of work per change: a session, a repository per aggregate, and an explicit commit."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from firehouse.store.afteraction import AfterActionRepository
from firehouse.store.alerts import AlertRepository
from firehouse.store.destinations import DestinationRepository
from firehouse.store.drills import DrillRepository
from firehouse.store.evidence import EvidenceRepository
from firehouse.store.incidents import IncidentRepository
from firehouse.store.notices import NoticeRepository
from firehouse.store.paging import PagingRepository
from firehouse.store.signals import SignalRepository
from firehouse.store.statuspage import StatusPageRepository


class UnitOfWork:
    """`with UnitOfWork(engine) as uow: …; uow.commit()` — without commit, nothing is written."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        self.incidents = IncidentRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.evidence = EvidenceRepository(self.session)
        self.afteraction = AfterActionRepository(self.session)
        self.drills = DrillRepository(self.session)
        self.alerts = AlertRepository(self.session)
        self.signals = SignalRepository(self.session)
        self.paging = PagingRepository(self.session)
        self.statuspage = StatusPageRepository(self.session)
        self.destinations = DestinationRepository(self.session)
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
