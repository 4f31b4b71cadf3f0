"""`/incident stats` as Block Kit: the totals as fields, the medians table in a code block, the notes, the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firehouse.domain.classes import DEFAULT_CLASSES, IncidentClass
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.domain.stats import Record, numbers
from firehouse.slack.limits import problems
from firehouse.slack.stats_blocks import stats_message, table

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN, H, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
CHART = "The weekly chart is posted in this channel."


def declare(incident_class: IncidentClass, severity: Severity, at: datetime = T0) -> Incident:
    return Incident.declare(title="t", severity=severity, incident_class=incident_class, by="UALICE", at=at)[0]


def sample(*incidents: Incident):
    return numbers([Record(i) for i in incidents], since=T0, until=T0 + 7 * DAY, now=T0 + 7 * DAY, regimes={},
                   notice_within=60 * MIN, classes=tuple(DEFAULT_CLASSES))


def dicts(message) -> list[dict]:
    return [block.to_dict() for block in message.blocks]


def test_the_totals_come_first_as_fields_then_the_table_of_medians_then_what_the_counts_mean():
    quick = declare(DEFAULT_CLASSES["output"], Severity.SEV2)
    quick.change_status(Status.CONTAINED, by="UALICE", at=T0 + 20 * MIN)
    quick.resolve(by="UALICE", at=T0 + 2 * H)
    message = stats_message(sample(quick, declare(DEFAULT_CLASSES["cost"], Severity.SEV3, T0 + DAY)),
                            shown="the last 7 days", chart=CHART)
    heading, totals, code, notes = dicts(message)
    assert heading["text"]["text"] == ("*Incident numbers, the last 7 days* (from 2026-03-02 09:00 UTC to 2026-03-09"
                                       " 09:00 UTC), drills excluded: *2* incidents, 1 open.")
    assert [f["text"] for f in totals["fields"]] == [
        "*Time to captain*\nmedian 0s · mean 0s · n 2",
        "*Time to contain (MTTC)*\nmedian 20m · mean 20m · n 1",
        "*Time to resolve (MTTR)*\nmedian 2h 00m · mean 2h 00m · n 1",
        "*Time to first update*\nnone got there yet",
        "*Customer notices on time*\n-",
        "*Regulatory deadlines met*\n-",
        "*Containments verified*\n-",
    ]
    lines = code["text"]["text"].split("\n")
    assert lines[0] == lines[-1] == "```"
    assert [line.split()[0] for line in lines[2:-1]] == ["by", "output", "cost", "by", "SEV2", "SEV3", "all"]
    assert lines[3].split() == ["output", "1", "0", "0s", "20m", "2h", "00m", "-", "-", "-"]
    assert notes["elements"][0]["text"].endswith(CHART)
    assert message.text.endswith(CHART) and "*" not in message.text
    assert problems(dicts(message)) == []


def test_an_empty_window_is_one_line_and_no_chart():
    message = stats_message(sample(), shown="the last 7 days", chart=None)
    assert message.text == ("Incident numbers, the last 7 days (from 2026-03-02 09:00 UTC to 2026-03-09 09:00 UTC),"
                            " drills excluded: 0 incidents, 0 open.")
    assert len(message.blocks) == 1


def test_many_classes_still_fit_slacks_limits():
    classes = [IncidentClass(f"class-{n:02d}-with-a-long-name", "d", ("internal",)) for n in range(60)]
    message = stats_message(sample(*(declare(c, Severity.SEV3) for c in classes)), shown="the last 7 days",
                            chart=CHART)
    assert problems(dicts(message)) == []
    shown = [line for b in dicts(message) if b.get("text", {}).get("text", "").startswith("```")
             for line in b["text"]["text"].split("\n") if line not in ("```", "by class", "by severity")]
    assert all(any(line.split()[0] == c.id for line in shown) for c in classes)
    assert len({len(line) for line in shown}) == 1  # the long names widen the first column


def test_the_table_keeps_its_columns_aligned():
    lines = table(sample(declare(DEFAULT_CLASSES["compliance"], Severity.SEV1), declare(DEFAULT_CLASSES["data"],
                                                                                       Severity.SEV2)))
    rows = [line for line in lines if line not in ("by class", "by severity")]
    assert len({len(row) for row in rows}) == 1


def test_the_table_of_nothing_is_its_heading_and_a_row_of_zeros():
    assert [line.split()[0] for line in table(sample())] == ["n", "by", "by", "all"]
