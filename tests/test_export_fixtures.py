"""`firehouse export fixtures` as a release gate runs it: a real process over a SQLite file seeded through the store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botprocess import firehouse_command

from firehouse.domain.afteraction import Fixture
from firehouse.domain.classes import DEFAULT_CLASSES, IncidentClass
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.store import UnitOfWork, make_engine

JAILBREAK = IncidentClass("jailbreak", "a guardrail was talked around", ("internal",))
CONFIG = '[classes.jailbreak]\ndescription = "a guardrail was talked around"\n'


def seed(path: Path) -> dict[str, str]:
    """Three fixtures: two of an `output` incident (22 and 23 November), one of a `jailbreak` one (24th)."""
    engine = make_engine(f"sqlite:///{path}")
    keys = {}
    for incident_class, days in ((DEFAULT_CLASSES["output"], (22, 23)), (JAILBREAK, (24,))):
        declared_at = datetime(2026, 11, days[0], 1, 0, tzinfo=UTC)
        incident, declared = Incident.declare(title=f"{incident_class.id} incident", severity=Severity.SEV2,
                                              incident_class=incident_class, by="U1", at=declared_at)
        incident.channel_id, incident.channel_name = f"C{days[0]}", f"inc-{incident_class.id}"
        with UnitOfWork(engine) as uow:
            uow.incidents.add(incident, [declared])
            for day in days:
                fixture = Fixture.write(
                    incident_id=incident.id, input=[{"role": "user", "content": f"question of the {day}th ✓"}],
                    bad_output="<!channel> wrong", by="U1", at=datetime(2026, 11, day, 2, 5, tzinfo=UTC),
                    target="the right answer", forbidden=["{{ secret }}"],
                    metadata={"class": incident_class.id, "model": "gpt-x"})
                uow.afteraction.add_fixture(fixture)
                keys[f"{incident_class.id}-{day}"] = fixture.key
            uow.commit()
    engine.dispose()
    return keys


@pytest.fixture
def workdir(tmp_path) -> Path:
    (tmp_path / "firehouse.toml").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def keys(workdir) -> dict[str, str]:
    return seed(workdir / "firehouse.db")


def export(workdir: Path, *args: str, database: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREHOUSE_"))}
    if database is not None:
        env["FIREHOUSE_DATABASE_URL"] = database
    return subprocess.run([*firehouse_command(), "export", "fixtures", *args], check=False, cwd=workdir,
                          env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)


def ids(jsonl: str) -> list[str]:
    return [json.loads(line)["id"] for line in jsonl.splitlines()]


def test_every_fixture_goes_to_standard_output_as_jsonl_and_the_count_to_standard_error(workdir, keys):
    done = export(workdir)  # no FIREHOUSE_DATABASE_URL: firehouse.db in the working directory
    assert done.returncode == 0, done.stderr
    assert ids(done.stdout) == [keys["output-22"], keys["output-23"], keys["jailbreak-24"]]
    first = json.loads(done.stdout.splitlines()[0])
    assert first["input"] == [{"role": "user", "content": "question of the 22th ✓"}]
    assert first["metadata"]["bad_output"] == "<!channel> wrong"
    assert first["metadata"]["forbidden"] == ["{{ secret }}"]
    assert done.stderr.strip() == "firehouse: 3 fixtures written to standard output"


def test_class_and_since_choose_the_fixtures_and_o_writes_the_promptfoo_file(workdir, keys):
    out = workdir / "gate" / "fixtures.json"
    out.parent.mkdir()
    done = export(workdir, "--class", "output", "--since", "2026-11-23", "--format", "promptfoo", "-o", str(out),
                  database=f"sqlite:///{workdir / 'firehouse.db'}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.strip() == f"firehouse: 1 fixture written to {out}"
    test, = json.loads(out.read_text(encoding="utf-8"))
    assert test["metadata"]["fixture"] == keys["output-23"]
    assert test["vars"]["query"] == "question of the 23th ✓"
    assert test["assert"] == [{"type": "not-contains", "value": '{{ "{{ secret }}" }}'},
                              {"type": "llm-rubric", "value": "The answer agrees with: the right answer"}]


@pytest.mark.parametrize(("args", "expected"), [
    (["--class", "jailbreak"], ["jailbreak-24"]),  # a class this deployment's config adds
    (["--class", "gate"], []),
    (["--since", "2026-11-24"], ["jailbreak-24"]),  # a date is midnight UTC
    (["--since", "2026-11-23T02:05:00"], ["output-23", "jailbreak-24"]),  # on the minute: included
    (["--since", "2026-11-23T03:05:01+01:00"], ["jailbreak-24"]),  # an offset is honoured
    (["--since", "2026-11-25"], []),
])
def test_the_filters(workdir, keys, args, expected):
    done = export(workdir, *args)
    assert done.returncode == 0, done.stderr
    assert ids(done.stdout) == [keys[name] for name in expected]


@pytest.mark.parametrize(("args", "complaint"), [
    (["--since", "yesterday"], "argument --since: 'yesterday' is not a date (YYYY-MM-DD) or an ISO datetime"),
    (["--since", "2026-11-31"], "argument --since: '2026-11-31' is not a date"),
    (["--class", "nope"], ("argument --class: 'nope' is not a class here; use one of output, action, data, cost,"
                           " gate, compliance, jailbreak")),
    (["--format", "csv"], "argument --format: invalid choice: 'csv'"),
])
def test_bad_arguments_are_usage_errors(workdir, keys, args, complaint):
    done = export(workdir, *args)
    assert done.returncode == 2
    assert complaint in done.stderr and "usage: firehouse export fixtures" in done.stderr
    assert done.stdout == ""


def test_a_missing_database_is_said_plainly_and_not_created(tmp_path):
    done = export(tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.strip() == f"firehouse: no database at {(tmp_path / 'firehouse.db').resolve()}"
    named = tmp_path / "nowhere" / "fh.db"
    done = export(tmp_path, database=f"sqlite:///{named}")
    assert done.returncode == 1 and done.stderr.strip() == f"firehouse: no database at {named.resolve()}"
    assert list(tmp_path.iterdir()) == []


def test_a_database_behind_this_release_is_not_upgraded_by_an_export(tmp_path):
    (tmp_path / "firehouse.db").touch()
    done = export(tmp_path)
    assert done.returncode == 1
    assert "firehouse: the database is not at this release's schema (found an empty database" in done.stderr
    assert "run `firehouse db upgrade` first" in done.stderr
    with sqlite3.connect(tmp_path / "firehouse.db") as database:
        assert database.execute("SELECT name FROM sqlite_master").fetchall() == []  # no tables made


def test_an_output_file_that_cannot_be_written_is_said_plainly(workdir, keys):
    out = workdir / "no-such-folder" / "fixtures.jsonl"
    done = export(workdir, "-o", str(out))
    assert done.returncode == 1
    assert done.stderr.strip() == f"firehouse: cannot write {out}: No such file or directory"
