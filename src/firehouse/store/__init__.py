"""Persistence: SQLModel tables, the mapping to domain objects and the unit of work."""

from firehouse.store.database import make_engine
from firehouse.store.unit_of_work import UnitOfWork

__all__ = ["UnitOfWork", "make_engine"]
