"""Persistence: SQLModel tables, the mapping to domain objects, the unit of work and the migrations."""

from firehouse.store.database import make_engine
from firehouse.store.unit_of_work import UnitOfWork

__all__ = ["UnitOfWork", "make_engine"]
