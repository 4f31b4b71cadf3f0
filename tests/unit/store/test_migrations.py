"""The versioned schema: migrations make what tables.py declares, and release 0.1.0's data survives upgrades."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fixtures import release
from pgserver import new_database
from sqlalchemy import create_engine, inspect, make_url, text
from sqlmodel import SQLModel, select

from firehouse.cli import main
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.errors import ConfigError
from firehouse.store import UnitOfWork, alerts, leadership, make_engine, migrate
from firehouse.store.tables import OutboxRow


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """An empty database: a new SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'firehouse.db'}"
    else:
        yield from new_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def postgres(postgres_url):
    """A new, empty database of its own on the test PostgreSQL server."""
    yield from new_database(postgres_url)




def differences(engine) -> list:
    """What autogenerate would still write: the database against the tables the code declares."""
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                SQLModel.metadata)


def catalogue(engine) -> dict:
    """The schema as the database itself describes it: every column, constraint and index, exactly."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE name != 'alembic_version'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name")
            return {"sqlite_master": [(kind, name, re.sub(r"\s+", " ", sql)) for kind, name, sql in rows]}
        queries = {
            "columns": "SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length,"
                       " is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'"
                       " AND table_name != 'alembic_version' ORDER BY table_name, ordinal_position",
            "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                           " WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text"
                           " != 'alembic_version' ORDER BY 1, 2",
            "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                       " AND tablename != 'alembic_version' ORDER BY 1, 2",
            "sequences": "SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences"
                         " ORDER BY 1",
        }
        return {what: [tuple(row) for row in connection.exec_driver_sql(sql)] for what, sql in queries.items()}


# --- the schema -------------------------------------------------------------------------------


def test_an_empty_database_is_migrated_to_exactly_what_the_tables_declare(url):
    """Also the guard for every later change: tables.py edited without a migration fails here."""
    engine = make_engine(url)
    assert differences(engine) == []
    assert migrate.current(engine).up_to_date
    engine.dispose()


def test_the_baseline_is_exactly_the_schema_release_0_1_0_made(url, tmp_path, request):
    migrated = create_engine(url)
    with migrated.connect() as connection:
        command.upgrade(migrate.config(connection), migrate.BASELINE)
        connection.commit()
    written = f"sqlite:///{tmp_path / 'release.db'}" if url.startswith("sqlite") else request.getfixturevalue("postgres")
    release.load(written)
    made_by_release = create_engine(written)
    assert catalogue(migrated) == catalogue(made_by_release)
    assert set(inspect(migrated).get_table_names()) == {"alembic_version", *release.dumped()}
    made_by_release.dispose()
    migrated.dispose()


def test_upgrading_a_current_database_changes_nothing(url):
    engine = make_engine(url)
    before = catalogue(engine)
    assert migrate.upgrade(engine) == (migrate.current(engine), migrate.current(engine))
    assert catalogue(engine) == before
    engine.dispose()


def test_make_engine_can_leave_the_schema_as_it_is(url):
    engine = make_engine(url, upgrade=False)
    assert migrate.current(engine) == migrate.Revision(revision=None, head=migrate.head())
    assert inspect(engine).get_table_names() == []
    engine.dispose()


# --- release 0.1.0's database -----------------------------------------------------------------


def test_a_release_0_1_0_database_is_stamped_at_the_baseline_and_upgraded_to_head(url):
    release.load(url)
    engine = make_engine(url, upgrade=False)
    assert migrate.current(engine) == migrate.Revision(revision=None, head=migrate.head(), unversioned=True)
    assert [str(revision) for revision in migrate.upgrade(engine)] == [
        "release 0.1.0's tables, no revision", f"revision {migrate.head()}"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [migrate.head()]
    assert differences(engine) == []
    engine.dispose()


def test_every_row_and_every_field_of_a_release_0_1_0_database_survives_the_upgrade(url):
    dumped = release.dumped()
    assert {table: len(rows) for table, rows in dumped.items()} == {
        "incident": 4, "timeline_entry": 32, "notice": 4, "processed_event": 2, "outbox": 3}
    release.load(url)
    engine = make_engine(url)
    assert release.stored(engine, like=dumped) == dumped
    if url.startswith("sqlite"):  # and to the byte, as SQLite holds it
        assert release.as_stored(make_url(url).database) == release.as_stored()
    engine.dispose()


def test_the_repository_reads_release_0_1_0_incidents_timelines_and_notices_as_written(url):
    dumped = release.dumped()
    release.load(url)
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        for row in dumped["incident"]:
            incident = uow.incidents.get(row["id"])
            assert {name: getattr(incident, name) for name in row} == row
            timeline = [(e.at, e.author, e.kind, e.text) for e in uow.incidents.timeline(row["id"])]
            entries = sorted((e for e in dumped["timeline_entry"] if e["incident_id"] == row["id"]),
                             key=lambda e: (e["at"], e["id"]))
            assert timeline == [(e["at"], e["author"], e["kind"], e["text"]) for e in entries]
        for row in dumped["notice"]:
            notice = uow.notices.get(row["id"])
            assert {name: getattr(notice, name) for name in row} == row
        for row in dumped["processed_event"]:
            assert not uow.incidents.first_delivery(row["event_id"], at=datetime.now(UTC))  # seen before
        for row in dumped["outbox"]:
            stored = uow.session.get(OutboxRow, row["id"])
            assert {name: release.as_utc(getattr(stored, name)) for name in row} == row
    assert {i.id for i in _open(engine)} == {r["id"] for r in release.open_incidents(dumped)}
    engine.dispose()


def test_firehouse_keeps_writing_to_an_upgraded_release_0_1_0_database(url):
    dumped = release.dumped()
    release.load(url)
    engine = make_engine(url)
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    open_row = release.open_incidents(dumped)[-1]
    with UnitOfWork(engine) as uow:
        incident = uow.incidents.get(open_row["id"])
        uow.incidents.save(incident, [incident.log(text="Still here after the upgrade", by="UALICE", at=at)])
        new, declared = Incident.declare(title="First after the upgrade", severity=Severity.SEV3,
                                         incident_class=DEFAULT_CLASSES["output"], by="UBOB", at=at)
        new.channel_id, new.channel_name = "C0AFTER0001", "inc-after"
        uow.incidents.add(new, [declared])
        assert uow.incidents.first_delivery("Ev0AFTER0001", at=at)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.incidents.timeline(open_row["id"])[-1].text == "Still here after the upgrade"
        assert new.id == max(r["id"] for r in dumped["incident"]) + 1
        assert uow.incidents.get(new.id).title == "First after the upgrade"
        assert len(uow.session.exec(select(OutboxRow)).all()) == len(dumped["outbox"])
    engine.dispose()


def test_an_upgraded_incident_is_no_drill_and_its_captain_took_the_role_when_it_was_declared(url):
    """Migration 0005: time to captain reads as before the upgrade (the declarer led from the declaration)."""
    dumped = release.dumped()
    release.load(url)
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        for row in dumped["incident"]:
            incident = uow.incidents.get(row["id"])
            assert incident.drill is False and not incident.captain_provisional
            assert incident.captain_at == row["declared_at"]
        assert uow.drills.runs() == []
    engine.dispose()


# --- refusals ---------------------------------------------------------------------------------


def test_a_database_from_a_newer_firehouse_is_refused_with_one_line(url):
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(ConfigError) as refused:
        make_engine(url)
    assert "schema revision 9999" in str(refused.value) and "newer Firehouse" in str(refused.value)
    assert "\n" not in str(refused.value)
    with pytest.raises(ConfigError):
        migrate.current(engine)
    engine.dispose()


def test_unversioned_tables_that_are_not_release_0_1_0s_are_refused_not_stamped(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE incident (id INTEGER PRIMARY KEY, title VARCHAR(150))"))
    with pytest.raises(ConfigError, match=r"not release 0\.1\.0's schema \(it lacks incident\.description"):
        make_engine(url)
    assert "alembic_version" not in inspect(engine).get_table_names()
    engine.dispose()


# --- PostgreSQL replicas ----------------------------------------------------------------------


REPLICA = """
import sys, time
from firehouse.store import make_engine, migrate
engine = make_engine(sys.argv[1], upgrade=False)
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # every replica starts its upgrade at the same moment
print(*migrate.upgrade(engine), sep=" -> ")
"""


def test_replicas_starting_at_once_on_postgresql_migrate_once_and_the_others_find_it_current(postgres):
    start = time.time() + 4
    replicas = [subprocess.Popen([sys.executable, "-c", REPLICA, postgres, str(start)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(4)]
    said = [replica.communicate(timeout=60) for replica in replicas]
    assert [replica.returncode for replica in replicas] == [0] * 4, said
    head = f"revision {migrate.head()}"
    assert sorted(out for out, _ in said) == [f"an empty database -> {head}\n"] + [f"{head} -> {head}\n"] * 3


def test_an_upgrade_on_postgresql_waits_while_another_replica_migrates(postgres):
    engine = make_engine(postgres, upgrade=False)
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND NOT granted")
    with engine.connect() as other, ThreadPoolExecutor(1) as pool:
        other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": migrate.LOCK_KEY})
        other.commit()
        upgrade = pool.submit(migrate.upgrade, engine)
        for _ in range(200):
            if other.execute(waiting, {"key": migrate.LOCK_KEY}).scalar():
                break
            other.commit()
            time.sleep(0.05)
        assert not upgrade.done()
        assert migrate.current(engine).revision is None
        other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": migrate.LOCK_KEY})
        other.commit()
        before, after = upgrade.result(timeout=30)
    assert (before.revision, after.revision) == (None, migrate.head())
    engine.dispose()


def test_the_migration_lock_is_neither_the_scheduler_leaders_lock_nor_alert_intakes():
    keys = {module.LOCK_KEY for module in (migrate, leadership, alerts)}
    assert len(keys) == 3


# --- the command line -------------------------------------------------------------------------


def test_firehouse_db_current_says_behind_until_firehouse_db_upgrade(tmp_path, monkeypatch, capsys):
    database = f"sqlite:///{tmp_path / 'firehouse.db'}"
    release.load(database)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FIREHOUSE_DATABASE_URL", database)
    monkeypatch.delenv("FIREHOUSE_CONFIG", raising=False)
    assert main(["db", "current"]) == 1
    assert capsys.readouterr().out == f"release 0.1.0's tables, no revision (head {migrate.head()}): behind:" \
                                      " run `firehouse db upgrade`\n"
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"revision {migrate.head()} (head): upgraded from release 0.1.0's tables," \
                                      " no revision\n"
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out == f"revision {migrate.head()} (head {migrate.head()}): up to date\n"
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"revision {migrate.head()} (head): already up to date\n"


def _open(engine) -> list[Incident]:
    with UnitOfWork(engine) as uow:
        return uow.incidents.open_incidents()
