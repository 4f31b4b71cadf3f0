"""A watched signal as a PNG, read back from what matplotlib was given: the values over time (one line per series,
at most five and "other"), the baseline or threshold dashed, the incident's moments as markers, and where the
signal stands now underneath. Names from outside are drawn as plain text."""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.colors import to_hex
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from firehouse.comms import charts, signal_chart
from firehouse.comms.signal_chart import BASELINE, LINES, MARKERS, OTHER, Marker, draw
from firehouse.domain.signals import Reading, Series, Signal

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
WINDOW = 15 * MIN
FRAUD = Signal(name="fraud_flags", query="sum(rate(fraud_flags[5m]))", label="fraud-flag rate", source="prom",
               unit="percent", baseline=timedelta(days=7))
SPEND = Signal(name="refund_spend", query="sum(refunds_usd)", label="refund spend", source="prom", unit="usd",
               threshold=50.0)


def series(value: float, minutes: int = 60, **labels: str) -> Series:
    """A series of `value` every minute from T0 for `minutes` minutes."""
    return Series(tuple(labels.items()), tuple((T0 + n * MIN, value) for n in range(minutes)))


def reading(signal: Signal, *values: Series, baseline: tuple[Series, ...] = ()) -> Reading:
    return Reading(signal, T0, T0 + 60 * MIN, values, baseline)


def drawn(read: Reading, *, markers: tuple[Marker, ...] = (), title: str = "INC-42 refund fraud") -> Figure:
    figure = Figure(layout="constrained")
    draw(figure, read, markers=markers, window=WINDOW, title=title)
    return figure


def png_size(image: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which comes first after the signature."""
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[12:16] == b"IHDR"
    return struct.unpack(">II", image[16:24])


def legend(figure: Figure) -> list[str]:
    (shown,) = figure.legends
    return [t.get_text() for t in shown.get_texts()]


def values(axes) -> list[tuple[str, str, list[float]]]:
    """Each data line (not a marker) as (label, colour, y values)."""
    return [(line.get_label(), to_hex(line.get_color()), [float(y) for y in line.get_ydata()])
            for line in axes.lines if line.get_linestyle() == "-" and line.get_linewidth() == 2]


MANY = reading(FRAUD, *(series(0.01 * (n + 1), route=f"r{n + 1}") for n in range(8)))
NAMES = ('{cost="$5", home="$HOME"}', '{route="<!channel>"}', r'{q="$\undefined{$"}')


@pytest.mark.parametrize("read", [
    reading(FRAUD, series(0.02), baseline=(series(0.02),)),
    MANY,
    reading(FRAUD),
    reading(SPEND, *(series(10.0 * (n + 1), name=name) for n, name in enumerate(NAMES))),
], ids=["one series", "eight series", "no data", "names with dollars"])
def test_the_chart_is_a_png_of_the_one_size(read):
    markers = (Marker(T0 + 5 * MIN, "declared", "declared"), Marker(T0 + 20 * MIN, "pulled $refund$-off", "pulled"))
    image = signal_chart.signal_chart(read, markers=markers, window=WINDOW, title="INC-42 spend over $1,000 in $USD")
    assert png_size(image) == charts.SIZE == (1200, 600) and image.endswith(b"IEND\xaeB`\x82")


def test_the_png_is_the_reading_drawn_on_the_figure_it_saves(drawn_by):
    saved = drawn_by(signal_chart)
    signal_chart.signal_chart(MANY, markers=(), window=WINDOW, title="INC-42 refund fraud")
    (figure,) = saved
    assert figure.axes[0].get_title() == "INC-42 refund fraud" and len(values(figure.axes[0])) == 6


def test_eight_series_are_five_named_lines_largest_first_and_the_other_three_summed():
    figure = drawn(MANY)
    (axes,) = figure.axes
    other = 0.01 + 0.02 + 0.03
    assert [(label, colour, ys[0]) for label, colour, ys in values(axes)] == [
        ('{route="r8"}', LINES[0], 0.08), ('{route="r7"}', LINES[1], 0.07), ('{route="r6"}', LINES[2], 0.06),
        ('{route="r5"}', LINES[3], 0.05), ('{route="r4"}', LINES[4], 0.04), ("other (3)", OTHER, pytest.approx(other))]
    assert legend(figure) == ['{route="r8"}', '{route="r7"}', '{route="r6"}', '{route="r5"}', '{route="r4"}',
                              "other (3)"]


def test_one_series_is_drawn_as_the_signal_with_its_label():
    figure = drawn(reading(FRAUD, series(0.02, route="only")))
    (axes,) = figure.axes
    assert values(axes) == [("fraud-flag rate", LINES[0], [0.02] * 60)]
    assert list(axes.lines[0].get_xdata()) == [T0 + n * MIN for n in range(60)]
    assert legend(figure) == ["fraud-flag rate"]


def test_names_from_outside_are_drawn_verbatim_as_plain_text():
    title = "INC-42: $HOME spend over $5 <!channel>"
    read = reading(SPEND, *(series(10.0 * (n + 1), name=name) for n, name in enumerate(NAMES)))
    markers = (Marker(T0 + 30 * MIN, r"pulled $\undefined$-off", "pulled"),)
    figure = drawn(read, markers=markers, title=title)
    (axes,) = figure.axes
    (shown,) = figure.legends
    assert legend(figure) == ["threshold", *(f'{{name="{name}"}}' for name in reversed(NAMES))]
    texts = [*shown.get_texts(), axes.title, figure._supxlabel, axes.yaxis.label, *axes.texts]
    assert all(not t.get_parse_math() and not t.get_usetex() for t in texts)
    assert axes.get_title() == title and axes.texts[0].get_text() == r"pulled $\undefined$-off"
    figure.canvas.draw()  # as mathtext, `$\undefined{$` would not parse


def test_the_headline_under_the_chart_is_where_the_signal_stands_over_the_window():
    figure = drawn(reading(FRAUD, series(0.091), baseline=(series(0.02),)), title="INC-42 refund fraud")
    assert figure._supxlabel.get_text() == "fraud-flag rate 9.1% now (baseline 2.0%, 4.5×)"
    assert figure.axes[0].get_title() == "INC-42 refund fraud"
    spend = drawn(reading(SPEND, series(120.0)))
    assert spend._supxlabel.get_text() == "refund spend $120.00 now (threshold $50.00, 2.4×)"  # two dollars: plain
    assert not spend._supxlabel.get_parse_math()


def test_the_baseline_is_a_dashed_grey_line_behind_the_values():
    read = reading(FRAUD, series(0.05, minutes=30), baseline=(series(0.02, minutes=45),))
    figure = drawn(read)
    (axes,) = figure.axes
    baseline, line = axes.lines
    assert (baseline.get_label(), baseline.get_linestyle(), to_hex(baseline.get_color())) == (
        f"baseline ({FRAUD.baseline_name})", "--", BASELINE)
    assert list(baseline.get_ydata()) == [0.02] * 45 and list(baseline.get_xdata())[-1] == T0 + 44 * MIN
    assert baseline.get_zorder() < line.get_zorder()
    assert legend(figure) == [f"baseline ({FRAUD.baseline_name})", "fraud-flag rate"]


def test_a_threshold_is_a_horizontal_dashed_line_at_its_value():
    figure = drawn(reading(SPEND, series(20.0), baseline=(series(5.0),)))  # a threshold wins over a baseline
    (axes,) = figure.axes
    threshold, line = axes.lines
    assert (threshold.get_label(), threshold.get_linestyle(), to_hex(threshold.get_color())) == (
        "threshold", "--", BASELINE)
    assert list(threshold.get_ydata()) == [50.0, 50.0] and list(threshold.get_xdata()) == [0, 1]  # across the axes
    assert threshold.get_transform() == axes.get_yaxis_transform()
    assert list(line.get_ydata()) == [20.0] * 60
    assert legend(figure) == ["threshold", "refund spend"]


def test_markers_inside_the_range_are_coloured_lines_with_their_label_on_top_and_the_others_are_skipped():
    markers = (Marker(T0 - MIN, "first signal", "signal"), Marker(T0, "declared", "declared"),
               Marker(T0 + 20 * MIN, "pulled refund-agent-off", "pulled"),
               Marker(T0 + 40 * MIN, "lifted refund-agent-off", "lifted"),
               Marker(T0 + 60 * MIN, "contained", "contained"), Marker(T0 + 61 * MIN, "resolved", "resolved"))
    (axes,) = drawn(reading(FRAUD, series(0.05)), markers=markers).axes
    drawn_lines = [(list(line.get_xdata()), to_hex(line.get_color())) for line in axes.lines[1:]]
    assert drawn_lines == [([T0, T0], MARKERS["declared"]), ([T0 + 20 * MIN] * 2, MARKERS["pulled"]),
                           ([T0 + 40 * MIN] * 2, MARKERS["lifted"]), ([T0 + 60 * MIN] * 2, MARKERS["contained"])]
    assert [(t.get_text(), t.get_position(), t.get_rotation(), t.get_va(), to_hex(t.get_color()))
            for t in axes.texts] == [
        ("declared", (T0, 0.98), 90, "top", MARKERS["declared"]),
        ("pulled refund-agent-off", (T0 + 20 * MIN, 0.98), 90, "top", MARKERS["pulled"]),
        ("lifted refund-agent-off", (T0 + 40 * MIN, 0.98), 90, "top", MARKERS["lifted"]),
        ("contained", (T0 + 60 * MIN, 0.98), 90, "top", MARKERS["contained"])]
    assert all(t.get_transform() == axes.get_xaxis_transform() for t in axes.texts)
    assert len(set(MARKERS.values())) == len(MARKERS) == 6  # one colour per kind
    assert axes.get_xlim() == (date2num(T0), date2num(T0 + 60 * MIN))


def test_no_data_at_all_says_so_in_the_middle():
    figure = drawn(reading(FRAUD, Series((("route", "a"),), ((T0, math.nan), (T0 + MIN, math.inf)))),
                   markers=(Marker(T0 + MIN, "declared", "declared"),))
    (axes,) = figure.axes
    note = next(t for t in axes.texts if t.get_text() == "no data")
    assert (note.get_position(), note.get_ha(), note.get_va(), note.get_transform()) == (
        (0.5, 0.5), "center", "center", axes.transAxes)
    assert values(axes) == [] and figure._supxlabel.get_text() == "fraud-flag rate: no data"
    assert list(axes.get_yticks()) == []  # no scale made up for nothing
    (spend,) = drawn(reading(SPEND)).axes
    assert [line.get_label() for line in spend.lines] == ["threshold"] and len(spend.get_yticks()) > 1
    assert png_size(signal_chart.signal_chart(reading(FRAUD), markers=(), window=WINDOW, title="x")) == charts.SIZE


def test_readings_with_data_do_not_say_no_data():
    (axes,) = drawn(reading(FRAUD, series(0.05))).axes
    assert "no data" not in [t.get_text() for t in axes.texts]


def test_nan_and_infinite_values_never_reach_matplotlib():
    points = ((T0, 0.1), (T0 + MIN, math.nan), (T0 + 2 * MIN, math.inf), (T0 + 3 * MIN, -math.inf), (T0 + 4 * MIN, 0.2))
    two = (Series((("route", "a"),), points), Series((("route", "b"),), points))
    for read in (reading(FRAUD, two[0], baseline=two), reading(FRAUD, *two, baseline=two)):
        (axes,) = drawn(read).axes
        assert all(math.isfinite(y) for line in axes.lines for y in line.get_ydata())
        assert all(list(line.get_xdata()) == [T0, T0 + 4 * MIN] for line in axes.lines)


def test_the_axes_speak_the_signals_unit_and_utc_hours_and_minutes():
    (axes,) = drawn(reading(FRAUD, series(0.05))).axes
    assert axes.yaxis.get_major_formatter()(0.05, 0) == "5.0%"
    assert axes.xaxis.get_major_formatter()(date2num(T0 + 65 * MIN), 0) == "15:05"
    assert axes.get_xlabel() == "UTC" and axes.get_ylabel() == "fraud-flag rate"
    (spend,) = drawn(reading(SPEND, series(120.0))).axes
    assert spend.yaxis.get_major_formatter()(1250, 0) == r"\$1,250.00"  # an escaped dollar, drawn as `$`
    spend.figure.canvas.draw()
    ticks = spend.get_yticklabels()
    assert ticks and all(t.get_text().startswith(r"\$") and t.get_text().endswith(".00") for t in ticks)
    assert {t._preprocess_math(t.get_text())[1] for t in ticks} == {False}  # plain text, not mathtext
    axes.figure.canvas.draw()
    hours = [t.get_text() for t in axes.get_xticklabels()]
    assert hours[0] == "14:00" and hours[-1] == "15:00"


def test_a_very_long_series_name_is_shortened_in_the_legend():
    long = "x" * 100
    figure = drawn(reading(FRAUD, series(0.02, route=long), series(0.01, route="short")))
    first = legend(figure)[0]
    assert len(first) == 60 and first.endswith("…") and first.startswith('{route="xxx')
    assert legend(figure)[1] == '{route="short"}'
