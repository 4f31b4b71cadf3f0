"""A drill's readiness chart, read back from what matplotlib was given: the phases as bands, each milestone's time
as a dot in its row (green on time, red late, a cross when never reached), and the run before as grey rings."""

from __future__ import annotations

import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.colors import to_hex
from matplotlib.text import Annotation

from firehouse.comms import charts, drill_chart
from firehouse.comms.drill_chart import BANDS, BEFORE, LATE, ON_TIME, PHASE_NAMES
from firehouse.domain.board import FIRST_HOUR
from firehouse.domain.drills import MILESTONES, Milestone, Readiness
from firehouse.domain.severity import Severity

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S, MIN = timedelta(seconds=1), timedelta(minutes=1)
TARGETS = (10 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 60 * MIN, 60 * MIN)
GREY = "#57606a"
LABELS = [label for _, label, _ in MILESTONES]


def report(*afters: timedelta | None) -> Readiness:
    """A refund-fraud drill whose milestones (captain, classify, firebreak, snapshot, update, notice) were reached
    `afters` the alarm; None: never."""
    milestones = tuple(Milestone(key, label, target, after)
                       for (key, label, _), target, after in zip(MILESTONES, TARGETS, afters, strict=True))
    return Readiness(scenario="refund-fraud", started_at=T0, ended_at=T0 + 90 * MIN, milestones=milestones,
                     missed=(), severity=Severity.SEV1, expected_severity=Severity.SEV1, class_id="action",
                     expected_class="action")


NOW = report(2 * MIN, 12 * MIN, None, 30 * S, 41 * MIN, 70 * MIN)  # on time, late, never, sub-minute, on time, late


@pytest.fixture
def drawn(drawn_by) -> list:
    """The figures the charts draw, kept after each is saved as a PNG."""
    return drawn_by(drill_chart)


def png_size(image: bytes) -> tuple[int, int]:
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[12:16] == b"IHDR"
    return struct.unpack(">II", image[16:24])


def dots(axes) -> list[tuple]:
    """Each scatter as (x, y, size, marker's vertex count, fill, edge): a ring has no fill, a cross 13 vertices."""
    return [(*(round(v, 3) for v in c.get_offsets()[0]), int(c.get_sizes()[0]), len(c.get_paths()[0].vertices),
             to_hex(c.get_facecolors()[0]) if len(c.get_facecolors()) else "none",
             to_hex(c.get_edgecolors()[0]) if len(c.get_edgecolors()) else "face")
            for c in axes.collections]


def texts(axes) -> list[tuple]:
    return [(t.get_text(), round(t.get_position()[0], 3), round(t.get_position()[1], 3), t.get_ha(), t.get_fontsize(),
             to_hex(t.get_color())) for t in axes.texts if not isinstance(t, Annotation)]


def arrows(axes) -> list[tuple]:
    return [(a.xyann, a.xy, to_hex(a.arrow_patch.get_edgecolor())) for a in axes.texts if isinstance(a, Annotation)]


def test_the_phases_are_bands_named_at_their_middle_above_the_top_row(drawn):
    assert png_size(drill_chart.drill_chart(NOW, offsets=FIRST_HOUR)) == charts.SIZE
    (axes,) = drawn[0].axes
    assert [(p.get_x(), p.get_width(), to_hex(p.get_facecolor())) for p in axes.patches] == [
        (0, 10, BANDS[0]), (10, 10, BANDS[1]), (20, 20, BANDS[2]), (40, 20, BANDS[3])]
    assert texts(axes)[:4] == [(name, middle, 5.65, "center", 9, GREY)
                               for name, middle in zip(PHASE_NAMES, (5, 15, 30, 50), strict=True)]
    assert all(t.get_va() == "bottom" for t in axes.texts[:4])


def test_each_milestone_is_a_row_with_its_target_and_its_time_first_milestone_on_top(drawn):
    drill_chart.drill_chart(NOW, offsets=FIRST_HOUR)
    (axes,) = drawn[0].axes
    right = 70 * 1.08  # the latest time, with room after it
    assert [t.get_text() for t in axes.get_yticklabels()] == LABELS[::-1]
    assert axes.get_yticklabels()[0].get_fontsize() == 9
    assert [(list(line.get_xdata()), list(line.get_ydata())) for line in axes.lines] == [
        ([target, target], [y - 0.3, y + 0.3]) for y, target in enumerate((60, 60, 40, 20, 10, 10))]
    assert {(to_hex(line.get_color()), line.get_linewidth()) for line in axes.lines} == {(GREY, 1.5)}
    assert dots(axes) == [
        (70, 0, 90, 26, LATE, LATE),  # the notice draft: after its phase
        (41, 1, 90, 26, ON_TIME, ON_TIME),
        (0.5, 2, 90, 26, ON_TIME, ON_TIME),  # the snapshot, 30 seconds in
        (round(right * 0.985, 3), 3, 110, 13, LATE, LATE),  # the firebreak: never, a cross at the right edge
        (12, 4, 90, 26, LATE, LATE),
        (2, 5, 90, 26, ON_TIME, ON_TIME),
    ]
    assert texts(axes)[4:] == [("70m", 70, 0.22, "center", 8, "#000000"), ("41m", 41, 1.22, "center", 8, "#000000"),
                               ("30s", 0.5, 2.22, "center", 8, "#000000"),
                               ("not done", round(right * 0.965, 3), 3.22, "right", 8, LATE),
                               ("12m", 12, 4.22, "center", 8, "#000000"), ("2m", 2, 5.22, "center", 8, "#000000")]
    assert axes.get_xlim() == pytest.approx((0, right)) and axes.get_ylim() == pytest.approx((-0.6, 5.9))
    assert axes.get_xlabel() == "minutes from the alarm"
    assert axes.get_title() == "DRILL refund-fraud: 3 of 6 milestones inside the flow"
    assert axes.title.get_fontsize() == 11
    assert {side: spine.get_visible() for side, spine in axes.spines.items()} == {
        "left": True, "right": False, "bottom": True, "top": False}
    assert arrows(axes) == []


def test_the_run_before_is_a_grey_ring_with_an_arrow_to_this_run_when_it_moved_visibly(drawn):
    before = report(3 * MIN, None, 14 * MIN, 30 * S, 39 * MIN, 80 * MIN)
    drill_chart.drill_chart(NOW, offsets=FIRST_HOUR, previous=before)
    (axes,) = drawn[0].axes
    right = 80 * 1.08  # the run before counts for the width too; an arrow needs a move of over right / 80
    ring = (90, 26, "none", BEFORE)
    assert dots(axes) == [
        (80, 0, *ring), (70, 0, 90, 26, LATE, LATE),
        (39, 1, *ring), (41, 1, 90, 26, ON_TIME, ON_TIME),
        (0.5, 2, *ring), (0.5, 2, 90, 26, ON_TIME, ON_TIME),
        (14, 3, *ring), (round(right * 0.985, 3), 3, 110, 13, LATE, LATE),
        (12, 4, 90, 26, LATE, LATE),  # never classified before: no ring
        (3, 5, *ring), (2, 5, 90, 26, ON_TIME, ON_TIME),  # a minute earlier: too close for an arrow
    ]
    assert all(c.get_linewidths()[0] == 2 for c in axes.collections if not len(c.get_facecolors()))
    assert arrows(axes) == [((80, 0), (70, 0), BEFORE), ((39, 1), (41, 1), BEFORE)]
    assert {type(a.arrow_patch.get_arrowstyle()).__name__ for a in axes.texts if isinstance(a, Annotation)} == {
        "CurveB"}  # "->": a plain arrow head at this run
    assert axes.get_xlim() == pytest.approx((0, right))
    assert axes.get_title() == "DRILL refund-fraud: 3 of 6 milestones inside the flow (grey: the run before)"


def test_a_move_just_over_an_80th_of_the_width_gets_its_arrow_and_one_just_under_does_not(drawn):
    # nothing later than the flow: the width is its 60 minutes and a tenth, so an arrow needs a move over 49.5 s
    drill_chart.drill_chart(report(10 * MIN, 5 * MIN, None, None, None, None), offsets=FIRST_HOUR,
                            previous=report(10 * MIN - 50 * S, 5 * MIN + 49 * S, None, None, None, None))
    (axes,) = drawn[0].axes
    assert axes.get_xlim() == pytest.approx((0, 66))
    assert [(pytest.approx(start), end) for start, end, _ in arrows(axes)] == [((9 + 10 / 60, 5), (10, 5))]


def test_a_drill_that_reached_nothing_is_all_crosses_within_the_flow(drawn):
    drill_chart.drill_chart(report(None, None, None, None, None, None), offsets=FIRST_HOUR)
    (axes,) = drawn[0].axes
    assert axes.get_xlim() == pytest.approx((0, 66))
    assert [d[:4] for d in dots(axes)] == [(round(66 * 0.985, 3), y, 110, 13) for y in range(6)]
    assert [t[0] for t in texts(axes)[4:]] == ["not done"] * 6
    assert axes.get_title() == "DRILL refund-fraud: 0 of 6 milestones inside the flow"


def test_a_time_of_a_minute_or_more_is_shown_in_minutes_and_less_in_seconds(drawn):
    drill_chart.drill_chart(report(59 * S, 60 * S, 90 * S, None, None, None), offsets=FIRST_HOUR)
    (axes,) = drawn[0].axes
    assert [t[0] for t in texts(axes)[4:]][::-1][:3] == ["59s", "1m", "2m"]  # 1.5 minutes round to 2


def test_with_fewer_checkpoints_the_later_phases_end_at_the_last_one_and_get_no_band(drawn):
    drill_chart.drill_chart(report(2 * MIN, 3 * MIN, None, None, None, None),
                            offsets=(timedelta(minutes=10), timedelta(minutes=20)))
    (axes,) = drawn[0].axes
    assert [(p.get_x(), p.get_width()) for p in axes.patches] == [(0, 10), (10, 10)]
    assert [t[0] for t in texts(axes)[:2]] == ["Classify & captain", "Contain"]
    assert "Preserve evidence" not in [t.get_text() for t in axes.texts]
    assert axes.get_xlim() == pytest.approx((0, 22))


def test_the_layers_bands_at_the_back_then_targets_then_the_run_before_and_this_run_on_top(drawn):
    drill_chart.drill_chart(NOW, offsets=FIRST_HOUR, previous=report(3 * MIN, None, 14 * MIN, 30 * S, 39 * MIN, 80 * MIN))
    (axes,) = drawn[0].axes
    rings = [c for c in axes.collections if not len(c.get_facecolors())]
    marks = [c for c in axes.collections if len(c.get_facecolors())]
    layers = {"bands": {p.get_zorder() for p in axes.patches}, "targets": {line.get_zorder() for line in axes.lines},
              "rings": {c.get_zorder() for c in rings},
              "arrows": {a.get_zorder() for a in axes.texts if isinstance(a, Annotation)},
              "dots and crosses": {c.get_zorder() for c in marks}}
    assert layers == {"bands": {0}, "targets": {2}, "rings": {3}, "arrows": {3}, "dots and crosses": {4}}
    assert {a.get_text() for a in axes.texts if isinstance(a, Annotation)} == {""}  # arrows carry no words


def test_this_runs_times_widen_the_chart_when_they_are_later_than_the_run_befores(drawn):
    drill_chart.drill_chart(report(None, None, None, None, None, 90 * MIN), offsets=FIRST_HOUR,
                            previous=report(None, None, None, None, None, 30 * MIN))
    (axes,) = drawn[0].axes
    assert axes.get_xlim() == pytest.approx((0, 90 * 1.08))


def test_a_run_before_scored_without_a_milestone_has_no_ring_in_that_row(drawn):
    older = report(3 * MIN, 4 * MIN, 14 * MIN, 30 * S, 39 * MIN, 80 * MIN)
    older = replace(older, milestones=older.milestones[:5])  # scored before the notice draft counted
    drill_chart.drill_chart(NOW, offsets=FIRST_HOUR, previous=older)
    (axes,) = drawn[0].axes
    assert [(x, y) for x, y, *_ in dots(axes)][:2] == [(70, 0), (39, 1)]  # the notice's row: this run alone
