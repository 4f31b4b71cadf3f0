"""The weekly trend as a PNG: always `charts.SIZE`, whatever the weeks hold, with a readable unit for the times."""

from __future__ import annotations

import math
import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from firehouse.comms import charts
from firehouse.comms.trend_chart import BARS, CONTAIN, RESOLVE, draw, trend_chart, unit_of
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


# --- what is drawn ---------------------------------------------------------------------------------------------


def weekly(*weeks: Week, days: int = 28):
    """The numbers of a window of `days` from T0 with exactly these weeks (and incidents declared in it)."""
    return replace(counted(days, incident(T0)), weeks=weeks)


def drawn(trend) -> Figure:
    figure = Figure(layout="constrained")
    draw(figure, trend)
    return figure


def test_the_axes_the_bars_and_the_lines_say_what_they_are():
    trend = weekly(Week(T0, 2, 3 * H, 27 * H), Week(T0 + 7 * DAY, 0, None, None), Week(T0 + 14 * DAY, 1, H, None))
    figure = drawn(trend)
    bars, times = figure.axes
    assert bars.get_title() == ("Incidents declared 2026-03-02 09:00 UTC to 2026-03-30 09:00 UTC, by week"
                                " (drills excluded)")
    assert bars.get_ylabel() == "incidents declared"
    assert bars.get_xlabel() == "week starting (Monday, UTC)"
    assert times.get_ylabel() == "median from the first signal (hours)"
    assert [(p.get_x() + p.get_width() / 2, p.get_height()) for p in bars.patches] == [(0, 2), (1, 0), (2, 1)]
    assert {to_hex(p.get_facecolor()) for p in bars.patches} == {BARS}
    assert all(tick == int(tick) for tick in bars.get_yticks())  # whole incidents only
    contain, resolve = times.get_lines()
    assert (to_hex(contain.get_color()), contain.get_marker(), contain.get_label()) == (
        CONTAIN, "o", "median time to contain")
    assert (to_hex(resolve.get_color()), resolve.get_marker(), resolve.get_label()) == (
        RESOLVE, "o", "median time to resolve")
    assert list(contain.get_xdata()) == list(resolve.get_xdata()) == [0, 1, 2]
    assert [None if math.isnan(v) else v for v in contain.get_ydata()] == [3, None, 1]  # hours; a gap for none
    assert [None if math.isnan(v) else v for v in resolve.get_ydata()] == [27, None, None]
    assert times.get_ylim()[0] == 0


def test_one_legend_above_names_the_bars_and_both_lines_in_a_row():
    figure = drawn(weekly(Week(T0, 1, 20 * MIN, 50 * MIN)))
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "incidents declared", "median time to contain", "median time to resolve"]
    assert (legend._ncols, legend._outside_loc, legend._loc, legend.get_frame_on()) == (3, "upper", 9, False)


@pytest.mark.parametrize(("count", "labelled"), [(16, list(range(16))), (17, list(range(0, 17, 2))),
                                                 (33, list(range(0, 33, 3)))])
def test_at_most_sixteen_weeks_are_labelled_and_then_every_second_or_third(count, labelled):
    weeks = tuple(Week(T0 + n * 7 * DAY, 1, None, None) for n in range(count))
    bars = drawn(weekly(*weeks, days=7 * count)).axes[0]
    assert list(bars.get_xticks()) == labelled
    assert [t.get_text() for t in bars.get_xticklabels()] == [f"{weeks[n].start:%d %b}\n{weeks[n].start:%Y}"
                                                              for n in labelled]


def test_a_window_without_incidents_says_so_in_the_middle_and_draws_no_times():
    figure = drawn(counted(14))
    (bars,) = figure.axes
    (note,) = bars.texts
    assert (note.get_text(), note.get_position(), note.get_ha(), note.get_va()) == (
        "No incidents in this window", (0.5, 0.5), "center", "center")
    assert note.get_transform() == bars.transAxes
    assert figure.legends == [] and [p.get_height() for p in bars.patches] == [0, 0, 0]  # Mondays 2, 9 and 16


def test_the_png_is_the_trend_drawn_on_the_figure_it_saves(drawn_by):
    from firehouse.comms import trend_chart as module

    saved = drawn_by(module)
    image = module.trend_chart(weekly(Week(T0, 2, 3 * H, 27 * H)))
    assert png_size(image) == charts.SIZE
    (figure,) = saved
    assert figure.axes[0].get_title().startswith("Incidents declared 2026-03-02 09:00 UTC to")
    assert [p.get_height() for p in figure.axes[0].patches] == [2]
