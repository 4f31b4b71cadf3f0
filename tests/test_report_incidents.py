"""`firehouse report incidents` as a reviewer runs it: a real process over a SQLite file seeded through the use
cases (`stats_seed`), its figures checked against the ones counted by hand."""

from __future__ import annotations

import csv
import io
import os
import struct
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import stats_seed as seeded
from botprocess import firehouse_command

from firehouse.comms import charts
from firehouse.comms.stats_report import span
from firehouse.domain.times import stamp
from firehouse.store import make_engine

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def base() -> datetime:
    return seeded.base_for(datetime.now(UTC))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, base) -> Path:
    """A working directory with the seeded `firehouse.db` and a `firehouse.toml` enabling GDPR."""
    folder = tmp_path_factory.mktemp("report")
    (folder / "firehouse.toml").write_text(seeded.CONFIG)
    seeded.seed(folder / "firehouse.db", base=base)
    return folder


def report(workdir: Path, *args: str, database: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREHOUSE_"))}
    if database is not None:
        env["FIREHOUSE_DATABASE_URL"] = database
    return subprocess.run([*firehouse_command(), "report", "incidents", *args], check=False, cwd=workdir, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


def times(n: int, mean: int, median: int) -> list[str]:
    """A time's three cells as the table shows them: median, mean, n."""
    return [*span(timedelta(seconds=median)).split(), *span(timedelta(seconds=mean)).split(), str(n)]


def test_the_text_report_has_the_figures_counted_by_hand(workdir, base):
    done = report(workdir)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (f"Incidents declared from {stamp(base)} to {lines[0].split(' to ')[1].split(',')[0]},"
                        f" drills excluded: {seeded.COUNT} ({seeded.OPEN} open).")
    rows = {line.split()[0]: line.split() for line in lines if line.startswith("  ")}
    assert {name: int(rows[name][1]) for name in seeded.BY_CLASS} == seeded.BY_CLASS
    assert {name: int(rows[name.upper()][1]) for name in seeded.BY_SEVERITY} == seeded.BY_SEVERITY
    [total] = [line.split() for line in lines if line.startswith("all incidents")]
    expected = [str(seeded.COUNT), str(seeded.OPEN), *times(*seeded.TO_CAPTAIN), *times(*seeded.TO_CONTAIN),
                *times(*seeded.TO_RESOLVE), *times(*seeded.TO_FIRST_UPDATE), "1", "of", "2", "1", "of", "2"]
    assert total[2:] == expected
    assert ("Customer notices on time: 1 of 2 (a product-lane notice marked sent within 60 minutes of the first"
            " signal, out of the incidents that owed or sent one).") in lines
    assert ("Regulatory deadlines met: 1 of 2 (reported by their due time, out of those that came due or were"
            " reported); 1 left out as not reportable.") in lines
    assert done.stderr.startswith(f"firehouse: 6 incidents declared from {stamp(base)} to ")
    assert done.stderr.rstrip().endswith("(drills excluded), written to standard output")


def test_the_csv_has_the_same_rows_in_whole_seconds(workdir):
    done = report(workdir, "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["group"], r["name"]) for r in rows] == [
        *(("class", c) for c in seeded.BY_CLASS), *(("severity", s) for s in seeded.BY_SEVERITY), ("all", "all")]
    assert {r["name"]: int(r["incidents"]) for r in rows if r["group"] == "class"} == seeded.BY_CLASS
    total = rows[-1]
    assert (int(total["incidents"]), int(total["open"])) == (seeded.COUNT, seeded.OPEN)
    for key, expected in (("to_captain", seeded.TO_CAPTAIN), ("to_contain", seeded.TO_CONTAIN),
                          ("to_resolve", seeded.TO_RESOLVE), ("to_first_update", seeded.TO_FIRST_UPDATE)):
        assert tuple(int(total[f"{key}_{part}"]) for part in ("n", "mean_seconds", "median_seconds")) == expected, key
    assert tuple(int(total[k]) for k in ("notices_on_time", "notices_counted", "notices_waived",
                                         "notices_pending")) == seeded.NOTICES
    assert tuple(int(total[k]) for k in ("deadlines_met", "deadlines_counted", "deadlines_not_reportable",
                                         "deadlines_pending")) == seeded.DEADLINES
    cost = next(r for r in rows if r["name"] == "cost")  # the open incident: no time to resolve yet
    assert (cost["open"], cost["to_resolve_n"], cost["to_resolve_mean_seconds"]) == ("1", "0", "")


def test_o_and_chart_write_the_report_and_a_png_of_the_one_size(workdir, base):
    out, chart = workdir / "out" / "numbers.csv", workdir / "out" / "trend.png"
    out.parent.mkdir(exist_ok=True)
    done = report(workdir, "--since", f"{base:%Y-%m-%d}", "--format", "csv", "-o", str(out), "--chart", str(chart),
                  database=f"sqlite:///{workdir / 'firehouse.db'}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and out.read_text().startswith("group,name,incidents,open,")
    assert done.stderr.rstrip().endswith(f"written to {out}; the weekly chart to {chart}")
    image = chart.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[12:16] == b"IHDR"
    assert struct.unpack(">II", image[16:24]) == charts.SIZE


def test_a_window_with_no_incidents_says_so(workdir, base):
    since, until = base + 12 * DAY, base + 19 * DAY
    done = report(workdir, "--since", since.isoformat(), "--until", until.isoformat())
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"Incidents declared from {stamp(since)} to {stamp(until)}, drills excluded: 0"
                           " (0 open).\n")


def test_an_empty_database_reports_nothing_and_its_csv_is_the_header_and_a_row_of_zeros(tmp_path):
    make_engine(f"sqlite:///{tmp_path / 'firehouse.db'}").dispose()
    done = report(tmp_path, "--format", "csv")
    assert done.returncode == 0, done.stderr
    header, total = done.stdout.splitlines()
    assert header.startswith("group,name,incidents,") and total.startswith("all,all,0,0,0,,,0,,,")
    assert "firehouse: 0 incidents declared" in done.stderr


@pytest.mark.parametrize(("args", "complaint"), [
    (["--since", "2999-01-01"], "argument --since: 2999-01-01 00:00 UTC is in the future"),
    (["--since", "2026-03-02", "--until", "2026-03-01"], "argument --until: it must come after --since"),
    (["--since", "last week"], "argument --since: 'last week' is not a date (YYYY-MM-DD) or an ISO datetime"),
    (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
])
def test_bad_arguments_are_usage_errors(workdir, args, complaint):
    done = report(workdir, *args)
    assert done.returncode == 2
    assert complaint in done.stderr and "usage: firehouse report incidents" in done.stderr
    assert done.stdout == ""


def test_a_missing_database_is_said_plainly_and_not_created(tmp_path):
    done = report(tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.strip() == f"firehouse: no database at {(tmp_path / 'firehouse.db').resolve()}"
    assert list(tmp_path.iterdir()) == []
