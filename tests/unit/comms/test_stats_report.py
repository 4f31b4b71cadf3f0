"""The numbers as text: the aligned table `firehouse report incidents` prints, its CSV, and the notes in words."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from firehouse.comms.stats_report import CSV_HEADER, csv_text, notes, share, span, text_table
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.domain.stats import Record, Share, numbers

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN, H, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def declare(class_id: str, severity: Severity, at: datetime = T0, **extra) -> Incident:
    made, _ = Incident.declare(title="t", severity=severity, incident_class=DEFAULT_CLASSES[class_id], by="UALICE",
                               at=at, **extra)
    return made


def sample():
    """An output SEV1 with a notice sent late, contained at 20m and resolved at 3h; a data SEV2 still open; GDPR
    reported on time for the data one."""
    output = declare("output", Severity.SEV1, reached_users=True)
    output.change_status(Status.CONTAINED, by="UALICE", at=T0 + 20 * MIN)
    output.notice_sent_at = T0 + 2 * H
    output.resolve(by="UALICE", at=T0 + 3 * H)
    data = declare("data", Severity.SEV2, at=T0 + DAY)
    records = [Record(output, first_update_at=T0 + 10 * MIN),
               Record(data, reported_at={"gdpr:initial": T0 + DAY + 5 * H})]
    return numbers(records, since=T0, until=T0 + 7 * DAY, now=T0 + 7 * DAY, regimes={"gdpr": ("data",)},
                   notice_within=60 * MIN, classes=tuple(DEFAULT_CLASSES))


def test_spans_read_as_the_summary_shows_them_and_shares_as_n_of_m():
    assert [span(d) for d in (None, 42 * timedelta(seconds=1), 65 * MIN, 3 * DAY + 2 * H)] == ["-", "42s", "1h 05m",
                                                                                             "3d 2h"]
    assert (share(Share(1, 2)), share(Share(aside=3))) == ("1 of 2", "-")


def test_the_table_has_a_row_per_class_and_severity_then_all_in_aligned_columns():
    text = text_table(sample())
    lines = text.splitlines()
    assert lines[0] == ("Incidents declared from 2026-03-02 09:00 UTC to 2026-03-09 09:00 UTC, drills excluded: 2"
                        " (1 open).")
    assert lines[5:15] == ["by class", lines[6], lines[7], "", "by severity", lines[10], lines[11], "", lines[13], ""]
    rows = [lines[n] for n in (3, 4, 6, 7, 10, 11, 13)]  # the two headings, then output, data, SEV1, SEV2, all
    assert len({len(row) for row in rows}) == 1  # every column aligned
    assert [rows[n].split()[0] for n in range(2, 7)] == ["output", "data", "SEV1", "SEV2", "all"]
    output = rows[2].split()
    assert output[:3] == ["output", "1", "0"]
    assert output[3:6] == ["0s", "0s", "1"] and output[6:9] == ["20m", "20m", "1"]  # captain, contain
    assert output[9:14] == ["3h", "00m", "3h", "00m", "1"]  # resolve
    assert output[14:] == ["10m", "10m", "1", "0", "of", "1", "-"]  # first update, the late notice, no deadline
    data = rows[3].split()
    assert data[:3] == ["data", "1", "1"] and data[-4:] == ["-", "1", "of", "1"]
    assert rows[6].startswith("all incidents") and rows[6].split()[2:4] == ["2", "1"]
    assert "Customer notices on time: 0 of 1" in text and "Regulatory deadlines met: 1 of 1" in text


def test_an_empty_window_is_one_line():
    empty = numbers([], since=T0, until=T0 + DAY, now=T0 + DAY, regimes={}, notice_within=60 * MIN)
    assert text_table(empty) == ("Incidents declared from 2026-03-02 09:00 UTC to 2026-03-03 09:00 UTC, drills"
                                 " excluded: 0 (0 open).\n")


def test_the_notes_say_what_was_left_aside():
    output = declare("output", Severity.SEV1, reached_users=True)
    output.notice_waiver = "nobody outside staging saw it"
    data = declare("data", Severity.SEV1, reached_users=False)
    data.decide_not_reportable("gdpr", "no personal data", by="UALICE", at=T0 + H)
    young = declare("data", Severity.SEV1, at=T0 + 6 * DAY + 23 * H + 30 * MIN)
    said = notes(numbers([Record(output), Record(data), Record(young)], since=T0, until=T0 + 7 * DAY,
                         now=T0 + 7 * DAY, regimes={"gdpr": ("data",)}, notice_within=60 * MIN))
    assert said == [
        "Customer notices: none owed or sent (on time is marked sent within 60 minutes of the first signal); 1 waived"
        " (left out); 1 owed and still inside that time (not counted yet).",
        "Regulatory deadlines: none came due or were reported; 1 left out as not reportable; 1 not due yet.",
        "Containments verified: no firebreak took effect.",
    ]


def test_the_csv_has_the_same_rows_with_times_in_whole_seconds_and_empty_cells_for_none():
    rows = list(csv.DictReader(io.StringIO(csv_text(sample()))))
    assert list(rows[0]) == list(CSV_HEADER)
    assert [(r["group"], r["name"]) for r in rows] == [("class", "output"), ("class", "data"), ("severity", "sev1"),
                                                       ("severity", "sev2"), ("all", "all")]
    total = rows[-1]
    assert (total["incidents"], total["open"]) == ("2", "1")
    assert (total["to_contain_n"], total["to_contain_mean_seconds"], total["to_contain_median_seconds"]) == (
        "1", "1200", "1200")
    assert (total["to_resolve_n"], total["to_resolve_mean_seconds"]) == ("1", "10800")
    assert (total["to_first_update_n"], total["to_first_update_median_seconds"]) == ("1", "600")
    assert rows[1]["to_resolve_mean_seconds"] == "" and rows[1]["to_resolve_n"] == "0"
    assert (total["notices_on_time"], total["notices_counted"]) == ("0", "1")
    assert (total["deadlines_met"], total["deadlines_counted"], total["deadlines_pending"]) == ("1", "1", "0")
