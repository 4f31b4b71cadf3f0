"""Rows to domain objects and back, derived from the dataclass's fields and the table's columns.

No list of names is kept by hand: a `RowMap` pairs each field with the column of its name and converts only
what the types call for (an enum is stored as its value, a moment comes back in UTC, JSON is copied both
ways). What truly differs is said once, as a `Stored` field or a `derived` column. A map is built at import
and refuses a field without a column, or a column without a field, so neither can silently load a default.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from types import UnionType
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, Column, DateTime, inspect
from sqlmodel import Session, SQLModel, col, select

T = TypeVar("T")
R = TypeVar("R", bound=SQLModel)

ID = "id"


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class MappingError(TypeError):
    """A dataclass and its table disagree: a field without a column, or a column without a field."""


@dataclass(frozen=True)
class Stored:
    """A field kept in columns other than the one of its name: `dump` gives them, `load` reads the field back."""

    columns: tuple[str, ...]
    dump: Callable[[Any], Mapping[str, Any]]
    load: Callable[[Any], Any]


class RowMap(Generic[T, R]):
    """How one dataclass is kept in one table. `given` names the columns the repository fills in itself (a
    timeline entry's incident); `id` is the database's, read back into the object and never written."""

    def __init__(self, domain: type[T], table: type[R], *, stored: Mapping[str, Stored] | None = None,
                 derived: Mapping[str, Callable[[T], Any]] | None = None, given: tuple[str, ...] = ()) -> None:
        self.domain, self.table = domain, table
        self._stored = dict(stored or {})
        self._derived = dict(derived or {})
        columns = {prop.key: prop.columns[0] for prop in inspect(table).column_attrs}
        hints = typing.get_type_hints(domain)
        names = [f.name for f in dataclasses.fields(domain)]
        self._has_id = ID in names
        self._plain: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}
        for name in names:
            if name == ID or name in self._stored:
                continue
            if name not in columns:
                raise MappingError(f"{domain.__name__}.{name} has no column in the table {table.__tablename__}")
            self._plain[name] = _converters(columns[name], hints[name])
        written = {*self._plain, *self._derived, *given, *(c for s in self._stored.values() for c in s.columns)}
        if unknown := written - set(columns):
            raise MappingError(f"{domain.__name__}: the table {table.__tablename__} has no column {sorted(unknown)}")
        if unmapped := set(columns) - written - {ID}:
            raise MappingError(f"{domain.__name__} has no field for the column {sorted(unmapped)} of the table"
                               f" {table.__tablename__}")

    def values(self, obj: T) -> dict[str, Any]:
        """The columns `obj` is kept in, its id left out."""
        values = {name: dump(getattr(obj, name)) for name, (dump, _) in self._plain.items()}
        for name, stored in self._stored.items():
            values.update(stored.dump(getattr(obj, name)))
        values.update({name: derive(obj) for name, derive in self._derived.items()})
        return values

    def row(self, obj: T, **given: Any) -> R:
        return self.table(**self.values(obj), **given)

    def load(self, row: R) -> T:
        fields = {name: load(getattr(row, name)) for name, (_, load) in self._plain.items()}
        fields.update({name: stored.load(row) for name, stored in self._stored.items()})
        if self._has_id:
            fields[ID] = row.id
        return self.domain(**fields)

    def add(self, session: Session, obj: T) -> T:
        """Store a new object; sets its id."""
        row = self.row(obj)
        session.add(row)
        session.flush()
        obj.id = row.id
        return obj

    def get(self, session: Session, record_id: int) -> T | None:
        row = session.get(self.table, record_id)
        return self.load(row) if row else None

    def of(self, session: Session, incident_id: int, *, order: Any = None) -> list[T]:
        """An incident's records, oldest first: in the order of `order` (a column), else of their ids."""
        query = select(self.table).where(self.table.incident_id == incident_id)
        return [self.load(row) for row in session.exec(query.order_by(col(self.table.id if order is None else order)))]

    def save(self, session: Session, obj: T) -> None:
        """Write back a changed object, column by column: setting through SQLModel is costly, and most stay put."""
        row = session.get(self.table, obj.id)
        for name, value in self.values(obj).items():
            if getattr(row, name) != value:
                setattr(row, name, value)


def _converters(column: Column, hint: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """How a field goes into its column and comes back, by the column's type and the field's."""
    if isinstance(column.type, JSON):
        return copy.deepcopy, copy.deepcopy
    if isinstance(column.type, DateTime):
        return _same, _utc
    if enum := _enum_of(hint):
        return _value, lambda value: None if value is None else enum(value)
    return _same, _same


def _enum_of(hint: Any) -> type[Enum] | None:
    options = typing.get_args(hint) if typing.get_origin(hint) in (UnionType, typing.Union) else (hint,)
    return next((o for o in options if isinstance(o, type) and issubclass(o, Enum)), None)


def _same(value: Any) -> Any:
    return value


def _utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment else None


def _value(member: Enum | None) -> Any:
    return None if member is None else member.value
