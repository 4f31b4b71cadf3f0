"""The weekly trend as a PNG: always `charts.SIZE`, whatever the weeks hold, with a readable unit for the times."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import pytest

from firehouse.comms import charts
from firehouse.comms.trend_chart import draw, trend_chart, unit_of
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.domain.stats import Record, Week, numbers

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN, H, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def png_size(image: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which comes first after the signature."""
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[12:16] == b"IHDR"
    return struct.unpack(">II", image[16:24])


def counted(days: int, *incidents: Incident):
    return numbers([Record(i) for i in incidents], since=T0, until=T0 + days * DAY, now=T0 + days * DAY,
                   regimes={}, notice_within=H)


def incident(at: datetime, *, contained: timedelta | None = None, resolved: timedelta | None = None) -> Incident:
    made, _ = Incident.declare(title="Ranker recommends rivals", severity=Severity.SEV2,
                               incident_class=DEFAULT_CLASSES["output"], by="UALICE", at=at)
    if contained:
        made.change_status(Status.CONTAINED, by="UALICE", at=at + contained)
    if resolved:
        made.resolve(by="UALICE", at=at + resolved)
    return made


@pytest.mark.parametrize("trend", [
    counted(30, incident(T0, contained=20 * MIN, resolved=3 * H), incident(T0 + 9 * DAY), incident(T0 + 20 * DAY)),
    counted(30),  # nothing to draw: the axes say so
    counted(3 * 365, *(incident(T0 + n * 7 * DAY, resolved=(n % 5 + 1) * DAY) for n in range(150))),
], ids=["a month", "no incidents", "three years"])
def test_the_chart_is_a_png_of_the_one_size(trend):
    assert png_size(trend_chart(trend)) == charts.SIZE == (1200, 600)


def test_it_draws_bars_for_the_weeks_and_a_line_for_each_median():
    from matplotlib.figure import Figure

    figure = Figure()
    trend = counted(21, incident(T0, contained=20 * MIN, resolved=90 * MIN), incident(T0 + 15 * DAY))
    draw(figure, trend)
    bars, times = figure.axes
    assert [round(p.get_height()) for p in bars.patches] == [1, 0, 1, 0]  # Mondays 2, 9, 16 and 23 March
    contain, resolve = times.get_lines()
    assert list(contain.get_ydata())[0] == 20 and list(resolve.get_ydata())[0] == 90  # minutes
    assert times.get_ylabel() == "median from the first signal (minutes)"
    assert [t.get_text() for t in bars.get_xticklabels()] == ["02 Mar\n2026", "09 Mar\n2026", "16 Mar\n2026",
                                                              "23 Mar\n2026"]


def test_long_runs_of_weeks_label_only_some_of_them():
    from matplotlib.figure import Figure

    figure = Figure()
    draw(figure, counted(365, incident(T0, resolved=H)))
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert len(figure.axes[0].patches) == 53 and 1 < len(labels) <= 16


@pytest.mark.parametrize(("longest", "unit"), [
    (None, ("minutes", 60)), (119 * MIN, ("minutes", 60)), (2 * H, ("hours", 3600)), (47 * H, ("hours", 3600)),
    (2 * DAY, ("days", 86400)),
])
def test_the_unit_keeps_the_longest_weekly_median_readable(longest, unit):
    assert unit_of([Week(T0, 1, 10 * MIN, longest), Week(T0 + 7 * DAY, 0, None, None)]) == unit
