"""Every record type survives the store whole: each field of its dataclass set to a value other than its default,
saved, and loaded back equal in a fresh unit of work, on SQLite and on PostgreSQL. The fields are read from the
dataclass, so a field added without a column fails here (and at import) instead of loading its default."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields, make_dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from types import NoneType, SimpleNamespace, UnionType
from typing import Any

import pytest

from firehouse.domain.afteraction import Fixture, FollowUp, PostmortemVersion
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.drills import DrillRun
from firehouse.domain.events import TimelineEntry
from firehouse.domain.firebreaks import Firebreak
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice
from firehouse.domain.severity import Severity
from firehouse.domain.snapshots import Snapshot
from firehouse.store import UnitOfWork
from firehouse.store.mapping import MappingError, RowMap
from firehouse.store.tables import TimelineEntryRow

AT = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Parents:
    """The rows a record points at: its incident, and a snapshot for the fields that name one."""

    incident: Incident
    snapshot_id: int


@pytest.fixture
def parents(engine) -> Parents:
    incident, _ = Incident.declare(title="Bot lies", severity=Severity.SEV2, incident_class=DEFAULT_CLASSES["output"],
                                   by="U1", at=AT)
    incident.channel_id, incident.channel_name = "C0PARENT", "inc-parent"
    with UnitOfWork(engine) as uow:
        uow.incidents.add(incident, [])
        snapshot = uow.evidence.add_snapshot(Snapshot(incident_id=incident.id, taken_by="U1", taken_at=AT,
                                                      fields={"model": "gpt-4o"}, fingerprint="0" * 64))
        uow.commit()
    return Parents(incident, snapshot.id)


# --- every field, set to a value of its type that is not its default -----------------------------------


def sample(hint: Any, name: str, n: int) -> Any:
    """A value of type `hint` for the field `name` (the `n`th), distinct from the other fields' where it can be."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (UnionType, typing.Union):
        return sample(next(a for a in args if a is not NoneType), name, n)
    if origin is dict:
        return {sample(args[0], f"{name}_key", n): sample(args[1], f"{name}_value", n + 1)}
    if origin is list:
        return [sample(args[0], name, n)]
    if origin is tuple:  # tuple[X, ...] gets one X; a fixed tuple[X, Y], an X and a Y
        return tuple(sample(a, name, n) for a in (args[:1] if args[-1] is Ellipsis else args))
    if dataclasses.is_dataclass(hint):
        return filled(hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return list(hint)[-1]
    return {bool: True, int: n + 2, float: n + 2.5, str: name[:19], datetime: AT + timedelta(minutes=n + 1),
            date: date(2026, 12, n % 28 + 1), timedelta: timedelta(minutes=n + 1)}[hint]


def filled(cls: type, **given: Any) -> Any:
    """An instance of `cls` with every field (but the database's id) set, `given` ones as given."""
    hints = typing.get_type_hints(cls)
    values = {f.name: sample(hints[f.name], f.name, n) for n, f in enumerate(fields(cls)) if f.name != "id"}
    return cls(**{**values, **given})


def assert_no_default_left(obj: Any) -> None:
    """Every field of `obj`, and of the dataclasses it holds, differs from its default."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if f.name != "id" and default is not dataclasses.MISSING:
            assert value != default, f"{type(obj).__name__}.{f.name} is still its default"
        for each in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(each):
                assert_no_default_left(each)


# --- how each record type is added and read back ----------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One record type: how to build it full, add it, load it back, and save it changed. `needs` names the fields
    with a default that a new row cannot do without."""

    cls: type
    add: Callable[[Any, Any], Any]
    load: Callable[[Any, Any], Any]
    save: Callable[[Any, Any], None] | None = None
    needs: tuple[str, ...] = ()

    def full(self, parents: Parents, **given: Any) -> Any:
        names = {f.name for f in fields(self.cls)}
        links = {"incident_id": parents.incident.id, "snapshot_id": parents.snapshot_id,
                 "supersedes": parents.snapshot_id}
        return filled(self.cls, **{k: v for k, v in links.items() if k in names}, **given)

    def bare(self, parents: Parents) -> Any:
        """The record with only what it cannot do without: every other field at its default."""
        full = self.full(parents)
        return self.cls(**{f.name: getattr(full, f.name) for f in fields(self.cls) if f.name in self.needs
                           or f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING})


KINDS = {
    "incident": Kind(Incident, add=lambda uow, i: uow.incidents.add(i, []), load=lambda uow, i: uow.incidents.get(i.id),
                     save=lambda uow, i: uow.incidents.save(i, []), needs=("channel_id", "channel_name")),
    "notice": Kind(Notice, add=lambda uow, n: uow.notices.add(n), load=lambda uow, n: uow.notices.get(n.id),
                   save=lambda uow, n: uow.notices.save(n)),
    "snapshot": Kind(Snapshot, add=lambda uow, s: uow.evidence.add_snapshot(s),
                     load=lambda uow, s: next(x for x in uow.evidence.snapshots(s.incident_id) if x.id == s.id)),
    "firebreak": Kind(Firebreak, add=lambda uow, f: uow.evidence.add_firebreak(f),
                      load=lambda uow, f: uow.evidence.firebreaks(f.incident_id)[0],
                      save=lambda uow, f: uow.evidence.save_firebreak(f)),
    "follow-up action": Kind(FollowUp, add=lambda uow, a: uow.afteraction.add_action(a),
                             load=lambda uow, a: uow.afteraction.action(a.id),
                             save=lambda uow, a: uow.afteraction.save_action(a)),
    "fixture": Kind(Fixture, add=lambda uow, f: uow.afteraction.add_fixture(f),
                    load=lambda uow, f: uow.afteraction.fixtures(f.incident_id)[0]),
    "postmortem version": Kind(PostmortemVersion, add=lambda uow, p: uow.afteraction.add_postmortem(p),
                               load=lambda uow, p: uow.afteraction.postmortems(p.incident_id)[0]),
    "drill run": Kind(DrillRun, add=lambda uow, r: uow.drills.add(r), load=lambda uow, r: uow.drills.of(r.incident_id),
                      save=lambda uow, r: uow.drills.save(r)),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_record_with_every_field_set_is_loaded_back_equal(engine, parents, kind):
    record = KINDS[kind].full(parents)
    assert_no_default_left(record)
    with UnitOfWork(engine) as uow:
        KINDS[kind].add(uow, record)
        uow.commit()
    assert record.id is not None
    with UnitOfWork(engine) as uow:
        assert KINDS[kind].load(uow, record) == record


@pytest.mark.parametrize("kind", [k for k, v in KINDS.items() if v.save])
def test_a_record_saved_with_every_field_changed_is_loaded_back_equal(engine, parents, kind):
    """Saving writes every field too: a bare record is added, then every field is changed and saved."""
    bare = KINDS[kind].bare(parents)
    with UnitOfWork(engine) as uow:
        KINDS[kind].add(uow, bare)
        uow.commit()
    changed = KINDS[kind].full(parents, id=bare.id)
    assert_no_default_left(changed)
    with UnitOfWork(engine) as uow:
        KINDS[kind].save(uow, changed)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert KINDS[kind].load(uow, changed) == changed


def test_a_timeline_entry_with_every_field_set_is_loaded_back_equal(engine, parents):
    entry = filled(TimelineEntry)
    with UnitOfWork(engine) as uow:
        uow.incidents.record(parents.incident, [SimpleNamespace(timeline_entry=lambda: entry)])
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.incidents.timeline(parents.incident.id) == [entry]


def test_a_drill_run_ended_by_the_conditional_update_is_loaded_back_equal(engine, parents):
    run = KINDS["drill run"].full(parents)
    started = dataclasses.replace(run, ended_by=None, ended_at=None, report=None)
    with UnitOfWork(engine) as uow:
        uow.drills.add(started)
        uow.commit()
    run.id = started.id
    with UnitOfWork(engine) as uow:
        assert uow.drills.end(run)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert not uow.drills.end(run)  # ended already
        assert uow.drills.of(parents.incident.id) == run


# --- the maps refuse a dataclass and a table that disagree --------------------------------------------


def test_a_field_without_a_column_is_refused_when_the_map_is_built():
    entry = make_dataclass("Entry", [("at", datetime), ("author", str), ("kind", str), ("text", str), ("mood", str)])
    with pytest.raises(MappingError, match=r"Entry\.mood has no column"):
        RowMap(entry, TimelineEntryRow, given=("incident_id",))


def test_a_column_without_a_field_is_refused_when_the_map_is_built():
    entry = make_dataclass("Entry", [("at", datetime), ("author", str), ("kind", str)])
    with pytest.raises(MappingError, match=r"no field for the column \['text'\]"):
        RowMap(entry, TimelineEntryRow, given=("incident_id",))
