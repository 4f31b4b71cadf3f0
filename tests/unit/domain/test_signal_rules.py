"""Live signals: how values read against a baseline, what a firebreak measurably did, which signals watch themselves."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote_plus

import pytest

from firehouse.config.signals import MetricSourceSettings
from firehouse.domain.events import TimelineEntry
from firehouse.domain.signals import (
    MAX_LINES,
    Reading,
    Series,
    Signal,
    Standing,
    Unreadable,
    WatchWhen,
    combine,
    compact,
    mean,
    outside,
    split_baseline,
    step_for,
    windowed_query,
)
from firehouse.domain.verification import (
    FirebreakVerified,
    SignalsOverridden,
    SignalsSettled,
    Verdict,
    measure,
    settled,
    unmeasured,
)
from firehouse.domain.watches import Origin, SignalUnwatched, SignalWatched, Watch, alert_signal, automatic

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
WEEK = timedelta(days=7)
FLAGS = Signal(name="fraud-flag-rate", query="sum(rate(fraud_flags[5m])) / sum(rate(refunds[5m]))",
               label="fraud-flag rate", source="prom", unit="percent", threshold=0.03)
WEEKLY = Signal(name="refunds", query="sum(rate(refunds[5m]))", label="refunds", source="prom", baseline=WEEK)


def at(minute: float) -> datetime:
    """14:00 UTC plus `minute` minutes."""
    return T0 + minute * MINUTE


def line(values: dict[int, float]) -> tuple[tuple[datetime, float], ...]:
    """Points at the given minutes past 14:00."""
    return tuple((at(m), v) for m, v in sorted(values.items()))


def series(values: dict[int, float], **labels: str) -> Series:
    return Series(tuple(labels.items()), line(values))


def reading(signal: Signal, values: dict[int, float], *, end: int, start: int = 0,
            baseline: dict[int, float] | None = None) -> Reading:
    """`signal` read over [14:start, 14:end], one unlabelled series (and its baseline window's, when given)."""
    return Reading(signal, at(start), at(end), (series(values),) if values else (),
                   (series(baseline),) if baseline is not None else ())


def minutes(first: int, last: int, value: float) -> dict[int, float]:
    return dict.fromkeys(range(first, last + 1), value)


# --- Signal: showing, naming, reading a value -------------------------------------------------------------

@pytest.mark.parametrize(("unit", "value", "shown"), [
    ("percent", 0.091, "9.1%"),
    ("percent", 0.03, "3.0%"),
    ("percent", 0.0, "0.0%"),
    ("usd", 12.5, "$12.50"),
    ("usd", 1234.5, "$1,234.50"),
    ("tokens", 48000, "48,000 tokens"),
    ("tokens", 12.4, "12 tokens"),
    ("per_second", 3.2, "3.2/s"),
    ("per_second", 0.0125, "0.0125/s"),
    ("per_second", 12345.0, "12,345/s"),
    ("seconds", 1.4, "1.40 s"),
    ("seconds", 1234.5, "1,234.50 s"),
    ("count", 1204, "1,204"),
    ("count", 7.0, "7"),
    ("count", 12.345, "12.3"),
    ("count", 0.5, "0.5"),
    ("count", 150.4, "150"),
])
def test_a_value_is_shown_in_its_signals_unit(unit, value, shown):
    assert replace(FLAGS, unit=unit).show(value) == shown


@pytest.mark.parametrize("unit", ["percent", "count", "per_second", "seconds", "usd", "tokens"])
def test_no_value_is_shown_as_a_dash_in_every_unit(unit):
    assert replace(FLAGS, unit=unit).show(None) == "-"


def test_a_baseline_is_named_by_its_window_or_its_threshold():
    assert WEEKLY.baseline_name == "7d before"
    assert replace(WEEKLY, baseline=timedelta(hours=36)).baseline_name == "36h before"
    assert replace(WEEKLY, baseline=timedelta(minutes=90)).baseline_name == "90m before"
    assert FLAGS.baseline_name == "threshold 3.0%"
    assert replace(FLAGS, unit="count", threshold=5.0).baseline_name == "threshold 5"
    assert replace(WEEKLY, baseline=None).baseline_name == "no baseline"


@pytest.mark.parametrize(("worse", "value", "within"), [
    ("higher", 0.029, True), ("higher", 0.03, True), ("higher", 0.0301, False), ("higher", 0.035, False),
    ("lower", 0.031, True), ("lower", 0.03, True), ("lower", 0.0299, False), ("lower", 0.025, False),
])
def test_against_a_threshold_the_good_side_is_within_and_tolerance_does_not_apply(worse, value, within):
    signal = replace(FLAGS, worse=worse, tolerance=0.5)
    assert signal.within(value, None) is within
    assert signal.within(value, 1.0) is within  # a threshold signal ignores any baseline value passed


@pytest.mark.parametrize(("worse", "value", "within"), [
    ("higher", 80.0, True), ("higher", 125.0, True), ("higher", 125.5, False),
    ("lower", 130.0, True), ("lower", 75.0, True), ("lower", 74.5, False),
])
def test_against_a_baseline_up_to_the_tolerance_worse_is_within(worse, value, within):
    signal = replace(WEEKLY, worse=worse, tolerance=0.25)
    assert signal.within(value, 100.0) is within


def test_the_default_tolerance_is_a_fifth_and_a_negative_baseline_counts_by_its_size():
    assert WEEKLY.tolerance == 0.2
    assert WEEKLY.within(12.0, 10.0) is True and WEEKLY.within(12.1, 10.0) is False
    assert replace(WEEKLY, tolerance=0.5).within(-5.0, -10.0) is True
    assert replace(WEEKLY, tolerance=0.5).within(-4.9, -10.0) is False


def test_without_a_baseline_value_a_baseline_signal_is_neither_within_nor_outside():
    assert WEEKLY.within(100.0, None) is None
    assert replace(WEEKLY, worse="lower").within(100.0, None) is None


def test_better_is_the_relative_change_towards_the_good_side():
    assert FLAGS.better(0.091, 0.021) == pytest.approx(0.7692, abs=1e-4)
    assert FLAGS.better(0.05, 0.09) == pytest.approx(-0.8)
    assert FLAGS.better(0.05, 0.05) == 0.0
    lower = replace(WEEKLY, worse="lower")
    assert lower.better(100.0, 150.0) == pytest.approx(0.5)
    assert lower.better(100.0, 25.0) == pytest.approx(-0.75)
    assert WEEKLY.better(-10.0, -5.0) == pytest.approx(-0.5)


def test_better_from_zero_is_all_or_nothing():
    assert FLAGS.better(0.0, 0.0) == 0.0
    assert FLAGS.better(0.0, 1.0) == -1.0
    assert FLAGS.better(0.0, -1.0) == 1.0
    lower = replace(FLAGS, worse="lower")
    assert lower.better(0.0, 1.0) == 1.0
    assert lower.better(0.0, -1.0) == -1.0


def test_a_signal_round_trips_through_json_as_it_was_watched():
    for signal in (FLAGS, replace(WEEKLY, unit="seconds", worse="lower", tolerance=0.5)):
        data = json.loads(json.dumps(signal.to_json()))
        assert Signal.from_json(data) == signal
    assert FLAGS.to_json() == {"name": "fraud-flag-rate", "query": FLAGS.query, "label": "fraud-flag rate",
                               "source": "prom", "unit": "percent", "worse": "higher", "tolerance": 0.2,
                               "threshold": 0.03, "baseline": None}
    assert WEEKLY.to_json()["baseline"] == 604800.0 and WEEKLY.to_json()["threshold"] is None


def test_what_a_signal_watches_for_by_itself_is_configuration_not_part_of_the_watched_definition():
    watched = replace(FLAGS, watch=WatchWhen(classes=("action",)))
    assert "watch" not in watched.to_json()
    assert Signal.from_json(watched.to_json()) == FLAGS


@pytest.mark.parametrize(("delta", "shown"), [
    (WEEK, "7d"), (timedelta(hours=36), "36h"), (timedelta(hours=48), "2d"), (timedelta(minutes=90), "90m"),
    (timedelta(minutes=120), "2h"), (timedelta(seconds=45), "45s"), (timedelta(days=1, seconds=1), "86401s"),
    (timedelta(0), "0s"),
])
def test_compact_shows_a_duration_as_it_is_configured(delta, shown):
    assert compact(delta) == shown


# --- series and lines -----------------------------------------------------------------------------------

def test_a_series_is_named_by_its_labels_without_the_metric_name():
    assert Series((("__name__", "refunds_total"), ("model", "a"), ("route", "b")), ()).name == '{model="a", route="b"}'
    assert Series((("__name__", "refunds_total"),), ()).name == "value"
    assert Series((), ()).name == "value"


def test_series_combine_into_their_sum_per_moment_leaving_out_nan_and_infinity():
    a = series({0: 1.0, 1: math.nan, 3: 4.0})
    b = series({1: 3.0, 0: 2.0, 2: math.inf, 3: -math.inf})
    assert combine([a, b], "count") == ((at(0), 3.0), (at(1), 3.0), (at(3), 4.0))
    assert combine([b, a], "usd") == ((at(0), 3.0), (at(1), 3.0), (at(3), 4.0))


def test_ratios_combine_into_their_mean():
    a = series({0: 0.02, 1: 0.04})
    b = series({0: 0.04, 1: math.nan})
    assert combine([a, b], "percent") == ((at(0), pytest.approx(0.03)), (at(1), 0.04))


def test_combining_nothing_is_an_empty_line():
    assert combine([], "count") == ()
    assert combine([series({0: math.nan})], "count") == ()


def test_mean_averages_the_finite_values_of_a_closed_window():
    points = line({0: 1.0, 1: 2.0, 2: math.nan, 3: 6.0, 4: 100.0})
    assert mean(points, at(1), at(3)) == 4.0
    assert mean(points, at(0), at(4)) == pytest.approx(27.25)
    assert mean(points, at(2), at(2)) is None
    assert mean(points, at(5), at(9)) is None
    assert mean((), at(0), at(9)) is None


def test_a_range_query_asks_for_about_240_points_never_finer_than_15_seconds():
    assert step_for(at(0), at(10)) == timedelta(seconds=15)
    assert step_for(at(0), at(60)) == timedelta(seconds=15)
    assert step_for(T0, T0 + timedelta(hours=24)) == timedelta(minutes=6)


def test_a_chart_draws_five_series_by_name_largest_first_and_sums_the_rest_as_other():
    many = tuple(series({0: float(i), 1: float(i) + 0.5}, route=f"r{i}") for i in range(8))
    many = many[3:] + many[:3]  # the order the source answered in does not matter
    lines = Reading(WEEKLY, at(0), at(1), many).lines()
    assert [name for name, _ in lines] == ['{route="r7"}', '{route="r6"}', '{route="r5"}', '{route="r4"}',
                                           '{route="r3"}', "other (3)"]
    assert len(lines) == MAX_LINES + 1
    assert lines[0][1] == ((at(0), 7.0), (at(1), 7.5))
    assert lines[-1][1] == ((at(0), 0.0 + 1.0 + 2.0), (at(1), 0.5 + 1.5 + 2.5))


def test_a_chart_of_a_few_series_has_no_other_line_and_leaves_out_nan():
    lines = Reading(WEEKLY, at(0), at(1), (series({0: 1.0, 1: math.nan}, route="a"),)).lines()
    assert lines == [('{route="a"}', ((at(0), 1.0),))]


def test_a_threshold_is_drawn_as_a_flat_baseline_across_the_reading():
    assert reading(FLAGS, {0: 0.05}, end=30).baseline_line == ((at(0), 0.03), (at(30), 0.03))
    weekly = reading(WEEKLY, {0: 1.0}, end=30, baseline={0: 2.0, 1: 4.0})
    assert weekly.baseline_line == ((at(0), 2.0), (at(1), 4.0))


# --- where a signal stands now ------------------------------------------------------------------------------

def test_a_signal_back_under_its_threshold_stands_within_since_the_first_moment_of_the_run():
    flags = reading(FLAGS, minutes(20, 31, 0.09) | minutes(32, 40, 0.021), start=20, end=40)
    standing = flags.now(timedelta(minutes=5))
    assert standing.signal is FLAGS
    assert standing.value == pytest.approx(0.021)
    assert (standing.baseline, standing.within, standing.since) == (0.03, True, at(32))
    assert standing.describe() == "fraud-flag rate 2.1% (threshold 3.0%): within baseline since 14:32 UTC"


def test_a_signal_gone_over_its_threshold_stands_outside_since_it_crossed():
    flags = reading(FLAGS, minutes(20, 31, 0.021) | minutes(32, 40, 0.09), start=20, end=40)
    standing = flags.now(timedelta(minutes=5))
    assert (standing.within, standing.since) == (False, at(32))
    assert standing.describe() == "fraud-flag rate 9.0% (threshold 3.0%): outside baseline since 14:32 UTC"
    assert outside([standing, Unreadable(FLAGS, "down")]) == [standing]


def test_a_signal_within_for_the_whole_reading_stands_so_since_its_first_point():
    standing = reading(FLAGS, minutes(20, 40, 0.01), start=20, end=40).now(timedelta(minutes=5))
    assert (standing.within, standing.since) == (True, at(20))


def test_the_value_now_is_the_mean_over_the_window_and_can_differ_from_the_last_point():
    flags = reading(FLAGS, minutes(20, 37, 0.02) | {38: 0.05, 39: 0.05, 40: 0.05}, start=20, end=40)
    standing = flags.now(timedelta(minutes=5))
    assert standing.value == pytest.approx((3 * 0.02 + 3 * 0.05) / 6)
    assert standing.within is False  # the mean, 3.5 %, is over the threshold
    assert standing.since == at(38)  # the run of points outside, as now, began at 14:38


def test_a_baseline_signal_is_compared_point_by_point_with_its_baseline_window():
    now = minutes(30, 40, 100.0)
    before = minutes(30, 34, 50.0) | minutes(35, 40, 90.0)
    del before[37]  # no baseline at 14:37: it neither ends nor extends the run
    standing = reading(WEEKLY, now, start=30, end=40, baseline=before).now(timedelta(minutes=5))
    assert (standing.value, standing.baseline, standing.within) == (100.0, 90.0, True)
    assert standing.since == at(35)  # 100 is within 20 % of 90, not of 50
    assert standing.describe() == "refunds 100 (baseline 90): within baseline since 14:35 UTC"


def test_a_signal_with_no_data_stands_nowhere():
    standing = reading(FLAGS, {}, end=40).now(timedelta(minutes=5))
    assert reading(FLAGS, {}, end=40).empty
    assert (standing.value, standing.baseline, standing.within, standing.since) == (None, 0.03, None, None)
    assert standing.describe() == "fraud-flag rate: no data"
    assert standing.headline() == "fraud-flag rate: no data"


def test_data_only_before_the_window_is_no_data_now():
    standing = reading(FLAGS, minutes(0, 10, 0.05), end=40).now(timedelta(minutes=5))
    assert (standing.value, standing.within, standing.since) == (None, None, None)


def test_a_baseline_signal_without_baseline_data_says_so():
    standing = reading(WEEKLY, minutes(30, 40, 120.0), start=30, end=40).now(timedelta(minutes=5))
    assert (standing.value, standing.baseline, standing.within, standing.since) == (120.0, None, None, None)
    assert standing.describe() == "refunds 120 (no baseline data 7d before)"
    assert standing.headline() == "refunds 120 now (no baseline data 7d before)"


def test_the_headline_gives_the_value_its_baseline_and_how_many_times_it_is():
    weekly = replace(FLAGS, threshold=None, baseline=WEEK)
    assert Standing(weekly, 0.0912, 0.02, False).headline() == "fraud-flag rate 9.1% now (baseline 2.0%, 4.6×)"
    assert Standing(FLAGS, 0.091, 0.03, False).headline() == "fraud-flag rate 9.1% now (threshold 3.0%, 3.0×)"
    assert Standing(weekly, 0.01, 0.0, False).headline() == "fraud-flag rate 1.0% now (baseline 0.0%)"


def test_the_ratio_is_known_only_with_a_value_and_a_baseline_other_than_zero():
    assert Standing(WEEKLY, 30.0, 10.0, False).ratio == 3.0
    assert Standing(WEEKLY, 30.0, 0.0, False).ratio is None
    assert Standing(WEEKLY, 30.0, None, None).ratio is None
    assert Standing(WEEKLY, None, 10.0, None).ratio is None


def test_a_standing_without_a_since_is_described_without_one():
    assert Standing(FLAGS, 0.02, 0.03, True).describe() == "fraud-flag rate 2.0% (threshold 3.0%): within baseline"


def test_an_unreadable_signal_says_why_in_both_forms():
    unreadable = Unreadable(FLAGS, "Prometheus did not answer")
    assert unreadable.describe() == "fraud-flag rate: unavailable: Prometheus did not answer"
    assert unreadable.headline() == unreadable.describe()
    assert unreadable.refused is False


# --- verification -------------------------------------------------------------------------------------------

def effect_of(values: dict[int, float], *, signal: Signal = FLAGS, baseline: dict[int, float] | None = None):
    """The effect of refund-agent-off, pulled at 14:20, read at 14:40 over windows of five minutes."""
    return measure(reading(signal, values, end=40, baseline=baseline), firebreak="refund-agent-off",
                   took_effect=at(20), window=timedelta(minutes=5))


def test_a_firebreak_that_brought_the_signal_back_within_baseline_worked():
    effect = effect_of(minutes(10, 20, 0.091) | minutes(21, 40, 0.021))
    assert effect.text == ("Effect of refund-agent-off on fraud-flag rate: 9.1% → 2.1% (−77%), back within"
                           " baseline")
    assert (effect.verdict, effect.worked) == (Verdict.WORKED, True)
    assert (effect.firebreak, effect.signal) == ("refund-agent-off", "fraud-flag rate")
    assert effect.before == pytest.approx(0.091) and effect.after == pytest.approx(0.021)


def test_a_change_smaller_than_a_tenth_is_no_measurable_effect():
    effect = effect_of(minutes(10, 20, 0.090) | minutes(21, 40, 0.088))
    assert effect.text == "Effect of refund-agent-off on fraud-flag rate: no measurable effect: 9.0% → 8.8%"
    assert (effect.verdict, effect.worked) == (Verdict.NO_EFFECT, False)


def test_a_firebreak_after_which_the_signal_rose_made_it_worse():
    effect = effect_of(minutes(10, 20, 0.05) | minutes(21, 40, 0.09))
    assert effect.text == "Effect of refund-agent-off on fraud-flag rate: worse: 5.0% → 9.0% (+80%)"
    assert effect.verdict is Verdict.WORSE


def test_a_signal_that_rose_but_stayed_within_its_threshold_is_worse_not_worked():
    effect = effect_of(minutes(10, 20, 0.02) | minutes(21, 40, 0.025))
    assert effect.verdict is Verdict.WORSE
    assert effect.text.endswith("worse: 2.0% → 2.5% (+25%)")


def test_a_measurable_improvement_still_outside_baseline_is_better():
    effect = effect_of(minutes(10, 20, 0.2) | minutes(21, 40, 0.1))
    assert effect.text == ("Effect of refund-agent-off on fraud-flag rate: 20.0% → 10.0% (−50%), still outside"
                           " baseline")
    assert (effect.verdict, effect.worked) == (Verdict.BETTER, False)


def test_an_improvement_without_baseline_data_is_better_with_nothing_to_compare_with():
    effect = effect_of(minutes(10, 20, 100.0) | minutes(21, 40, 50.0), signal=WEEKLY)
    assert effect.text == "Effect of refund-agent-off on refunds: 100 → 50 (−50%), no baseline to compare with"
    assert effect.verdict is Verdict.BETTER


def test_a_baseline_signal_back_within_its_baseline_window_worked():
    effect = effect_of(minutes(10, 20, 100.0) | minutes(21, 40, 50.0), signal=WEEKLY, baseline=minutes(0, 40, 45.0))
    assert effect.text == "Effect of refund-agent-off on refunds: 100 → 50 (−50%), back within baseline"
    assert effect.verdict is Verdict.WORKED


def test_with_no_data_before_the_pull_the_effect_is_unknown():
    effect = effect_of(minutes(22, 40, 0.021))
    assert effect.text == "Effect of refund-agent-off on fraud-flag rate: not measurable, no data before the pull"
    assert (effect.verdict, effect.before, effect.worked) == (Verdict.UNKNOWN, None, False)
    assert effect.after == pytest.approx(0.021)


def test_with_no_data_in_the_last_window_the_effect_is_unknown():
    effect = effect_of(minutes(10, 30, 0.091))
    assert effect.text == "Effect of refund-agent-off on fraud-flag rate: not measurable, no data in the last 5m"
    assert (effect.verdict, effect.after) == (Verdict.UNKNOWN, None)


def test_an_effect_never_measured_says_why():
    effect = unmeasured("refund-agent-off", FLAGS, "Prometheus did not answer")
    assert effect.text == "Effect of refund-agent-off on fraud-flag rate: not measured, Prometheus did not answer"
    assert (effect.verdict, effect.before, effect.after, effect.signal) == (Verdict.UNKNOWN, None, None,
                                                                            "fraud-flag rate")


# --- settled ------------------------------------------------------------------------------------------------

NOW = at(60)
SETTLE = timedelta(minutes=30)


def within_since(minute: int, signal: Signal = FLAGS) -> Standing:
    return Standing(signal, 0.02, 0.03, True, at(minute))


def test_signals_within_baseline_for_the_settle_window_have_settled():
    assert settled([within_since(30), within_since(10, WEEKLY)], now=NOW, settle=SETTLE) is True


def test_a_signal_within_for_less_than_the_settle_window_has_not_settled():
    assert settled([within_since(10), within_since(31, WEEKLY)], now=NOW, settle=SETTLE) is False


@pytest.mark.parametrize("other", [
    Standing(WEEKLY, 9.0, 3.0, False, at(0)),
    Standing(WEEKLY, 9.0, None, None, None),
    Standing(WEEKLY, 2.0, 3.0, True, None),
    Unreadable(WEEKLY, "Prometheus did not answer"),
])
def test_one_signal_outside_unknown_or_unreadable_keeps_the_rest_from_settling(other):
    assert settled([within_since(0), other], now=NOW, settle=SETTLE) is False


def test_with_nothing_watched_nothing_has_settled():
    assert settled([], now=NOW, settle=SETTLE) is False


# --- one query for a signal and its baseline ------------------------------------------------------------

def test_one_range_query_brings_the_signal_and_its_baseline_window_marked():
    signal = replace(WEEKLY, query="sum(rate(x[5m]))")
    assert windowed_query(signal, timedelta(seconds=60)) == (
        '(sum(rate(x[5m]))) or label_replace(last_over_time((sum(rate(x[5m])))[60s:60s] offset 604800s),'
        ' "firehouse_window", "baseline", "", "")')


def test_the_subquery_step_is_whole_seconds_and_at_least_one():
    assert "[90s:90s] offset 3600s" in windowed_query(replace(WEEKLY, baseline=timedelta(hours=1)),
                                                      timedelta(seconds=90.7))
    assert "[1s:1s]" in windowed_query(WEEKLY, timedelta(milliseconds=200))


def test_the_answer_splits_into_now_and_baseline_with_the_marker_removed():
    now = Series((("route", "a"),), line({0: 1.0}))
    marked = Series((("route", "a"), ("firehouse_window", "baseline")), line({0: 2.0}))
    bare = Series((), line({0: 3.0}))
    marked_bare = Series((("firehouse_window", "baseline"),), line({0: 4.0}))
    assert split_baseline([now, marked, bare, marked_bare]) == (
        [now, bare], [Series((("route", "a"),), line({0: 2.0})), Series((), line({0: 4.0}))])
    assert split_baseline([]) == ([], [])


# --- an alert's own signal ------------------------------------------------------------------------------------

PROM = {"prom": MetricSourceSettings(name="prom", url="http://prom:9090")}
WITH_DEFAULT = {**PROM, "thanos": MetricSourceSettings(name="thanos", url="http://thanos:10902", default=True)}


def graph(expression: str, base: str = "http://prom:9090") -> str:
    return f"{base}/graph?g0.expr={quote_plus(expression)}&g0.tab=1"


def test_an_alerts_comparison_becomes_a_threshold_on_the_value_it_compared():
    signal = alert_signal("HighRefundRate", graph("sum(rate(x[5m])) > 0.05"), PROM)
    assert signal == Signal(name="alert-highrefundrate", query="sum(rate(x[5m]))", label="HighRefundRate",
                            source="prom", unit="count", worse="higher", threshold=0.05)


@pytest.mark.parametrize(("expression", "query", "worse", "threshold"), [
    ("sum(rate(ok[5m])) < 10", "sum(rate(ok[5m]))", "lower", 10.0),
    ("up <= 0.5", "up", "lower", 0.5),
    ("errors >= 3", "errors", "higher", 3.0),
    ("errors > bool 1e-3", "errors", "higher", 0.001),
    ("  errors>-2  ", "errors", "higher", -2.0),
    ("(a > 1) and b > 2", "(a > 1) and b", "higher", 2.0),
])
def test_each_comparison_gives_its_direction_and_threshold(expression, query, worse, threshold):
    signal = alert_signal("Alert", graph(expression), PROM)
    assert (signal.query, signal.worse, signal.threshold, signal.baseline) == (query, worse, threshold, None)


@pytest.mark.parametrize("expression", ["sum(rate(x[5m]))", "(a > 1) and b", "(rate(x[5m]) > 1", "a > b"])
def test_an_expression_without_a_comparison_of_its_own_is_compared_with_last_week(expression):
    signal = alert_signal("Alert", graph(expression), PROM)
    assert (signal.query, signal.worse, signal.threshold, signal.baseline) == (expression, "higher", None, WEEK)


def test_an_alert_from_another_host_is_read_from_the_default_source():
    assert alert_signal("A", graph("x > 1", "http://other:9090"), WITH_DEFAULT).source == "thanos"
    assert alert_signal("A", graph("x > 1", "http://other:9090"), PROM) is None
    assert alert_signal("A", graph("x > 1", "http://other:9090"), {}) is None


def test_an_alert_is_read_from_the_source_whose_url_its_link_starts_with():
    assert alert_signal("A", graph("x > 1"), WITH_DEFAULT).source == "prom"
    assert alert_signal("A", graph("x > 1", "http://thanos:10902"), WITH_DEFAULT).source == "thanos"
    behind = {"prom": MetricSourceSettings(name="prom", url="https://ops.example/prometheus")}
    assert alert_signal("A", graph("x > 1", "https://ops.example/prometheus"), behind).source == "prom"
    slashed = {"prom": MetricSourceSettings(name="prom", url="http://prom:9090/")}
    assert alert_signal("A", graph("x > 1"), slashed).source == "prom"


def test_a_source_whose_host_only_begins_another_hosts_name_is_not_that_host():
    sources = {"prom": MetricSourceSettings(name="prom", url="http://prom"),
               "eu": MetricSourceSettings(name="eu", url="http://prom-eu:9090", default=True)}
    assert alert_signal("A", graph("x > 1", "http://prometheus-staging:9090"), sources).source == "eu"
    assert alert_signal("A", graph("x > 1", "http://prom"), sources).source == "prom"


@pytest.mark.parametrize("url", [
    "http://prom:9090/alerts?g0.expr=x",
    "http://prom:9090/graph?g0.tab=1",
    "http://prom:9090/graph?g0.expr=%20%20",
    "http://prom:9090/?g0.expr=x",
    "",
])
def test_a_link_that_is_not_a_graph_with_an_expression_brings_no_signal(url):
    assert alert_signal("A", url, WITH_DEFAULT) is None


def test_a_graph_link_with_a_trailing_slash_still_counts():
    assert alert_signal("A", "http://prom:9090/graph/?g0.expr=up", PROM).query == "up"


@pytest.mark.parametrize(("alertname", "name"), [
    ("High Error-Rate (EU)!", "alert-high-error-rate-eu"),
    ("KubePodCrashLooping", "alert-kubepodcrashlooping"),
    ("!!!", "alert-signal"),
    ("Ünïcode_alert", "alert-n-code-alert"),
    ("A" * 80, "alert-" + "a" * 33),
])
def test_an_alerts_name_becomes_a_valid_signal_name(alertname, name):
    signal = alert_signal(alertname, graph("up"), PROM)
    assert signal.name == name
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", signal.name)
    assert signal.label == alertname[:60]


# --- signals that watch themselves ------------------------------------------------------------------------

BY_CLASS = replace(FLAGS, name="by-class", watch=WatchWhen(classes=("action",)))
BY_FIREBREAK = replace(FLAGS, name="by-firebreak", watch=WatchWhen(firebreaks=("refund-agent-off",)))
BY_ALERT = replace(FLAGS, name="by-alert", watch=WatchWhen(alerts=("HighRefundRate",)))
BY_BOTH = replace(FLAGS, name="by-both", watch=WatchWhen(classes=("action",), firebreaks=("refund-agent-off",)))
CONFIGURED = (BY_CLASS, BY_FIREBREAK, BY_ALERT, BY_BOTH, FLAGS)


def test_an_incidents_class_a_firebreak_pulled_or_an_alert_brings_its_signals():
    assert automatic(CONFIGURED, class_id="action") == [(BY_CLASS, Origin.CLASS), (BY_BOTH, Origin.CLASS)]
    assert automatic(CONFIGURED, firebreak="refund-agent-off") == [(BY_FIREBREAK, Origin.FIREBREAK),
                                                                   (BY_BOTH, Origin.FIREBREAK)]
    assert automatic(CONFIGURED, alert="HighRefundRate") == [(BY_ALERT, Origin.ALERT)]


def test_a_signal_brought_for_two_reasons_comes_once_for_its_class():
    assert automatic(CONFIGURED, class_id="action", firebreak="refund-agent-off", alert="HighRefundRate") == [
        (BY_CLASS, Origin.CLASS), (BY_FIREBREAK, Origin.FIREBREAK), (BY_ALERT, Origin.ALERT),
        (BY_BOTH, Origin.CLASS)]


def test_nothing_matching_brings_nothing():
    assert automatic(CONFIGURED) == []
    assert automatic(CONFIGURED, class_id="output", firebreak="other", alert="Other") == []
    assert automatic((), class_id="action") == []


# --- the timeline -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("origin", "why"), [
    (Origin.COMMAND, ""),
    (Origin.CLASS, " (its class is watched)"),
    (Origin.FIREBREAK, " (a firebreak it verifies was pulled)"),
    (Origin.ALERT, " (the alert's own signal)"),
    (Origin.DRILL, " (the drill's scripted signal)"),
])
def test_watching_a_signal_is_on_the_timeline_with_why(origin, why):
    watch = Watch(incident_id=1, signal=FLAGS, origin=origin, started_by="U1", started_at=at(5))
    assert watch.event() == SignalWatched(at=at(5), by="U1", name="fraud-flag-rate", label="fraud-flag rate",
                                          origin=origin)
    assert watch.event().timeline_entry() == TimelineEntry(at(5), "U1", "signals",
                                                           f"Watching fraud-flag rate (`fraud-flag-rate`){why}")


def test_stopping_a_watch_records_who_and_when_on_the_timeline():
    watch = Watch(incident_id=1, signal=FLAGS, origin=Origin.COMMAND, started_by="U1", started_at=at(5))
    assert watch.active
    event = watch.stop(by="U2", at=at(9))
    assert (watch.active, watch.stopped_by, watch.stopped_at) == (False, "U2", at(9))
    assert event == SignalUnwatched(at=at(9), by="U2", name="fraud-flag-rate", label="fraud-flag rate")
    assert event.timeline_entry() == TimelineEntry(at(9), "U2", "signals",
                                                   "Stopped watching fraud-flag rate (`fraud-flag-rate`)")


def test_a_verified_firebreak_puts_its_effect_on_the_timeline():
    effect = effect_of(minutes(10, 20, 0.091) | minutes(21, 40, 0.021))
    entry = FirebreakVerified(at=at(40), by="firehouse", firebreak_id=3, effect=effect).timeline_entry()
    assert entry == TimelineEntry(at(40), "firehouse", "verify", effect.text)


def test_a_status_move_over_signals_still_outside_is_recorded_with_them():
    standings = ("fraud-flag rate 9.0% (threshold 3.0%): outside baseline", "refunds: no data")
    entry = SignalsOverridden(at=at(41), by="U1", status="monitoring", standings=standings).timeline_entry()
    assert entry == TimelineEntry(at(41), "U1", "signals", "Moved to monitoring although still outside baseline"
                                  " (confirmed): fraud-flag rate 9.0% (threshold 3.0%): outside baseline;"
                                  " refunds: no data")


@pytest.mark.parametrize(("settle", "shown"), [(timedelta(minutes=30), "30m"), (timedelta(minutes=90), "1h 30m")])
def test_signals_settled_in_monitoring_are_recorded_with_the_window(settle, shown):
    settled_event = SignalsSettled(at=at(50), by="firehouse", settle=settle, standings=("a within", "b within"))
    entry = settled_event.timeline_entry()
    assert entry == TimelineEntry(at(50), "firehouse", "signals",
                                  f"Every watched signal within baseline for {shown}: a within; b within")


def test_a_change_within_the_noise_is_no_effect_even_when_the_signal_stays_within_its_baseline():
    effect = measure(reading(FLAGS, {**minutes(0, 20, 0.020), **minutes(21, 40, 0.0199)}, end=40),
                     firebreak="refund-agent-off", took_effect=at(20), window=5 * MINUTE)
    assert (effect.verdict, effect.text) == (Verdict.NO_EFFECT, "Effect of refund-agent-off on fraud-flag rate: no"
                                                                " measurable effect: 2.0% → 2.0%")


def test_a_measurable_fall_of_a_signal_that_was_within_its_baseline_already_is_better_not_worked():
    effect = measure(reading(FLAGS, {**minutes(0, 20, 0.020), **minutes(21, 40, 0.010)}, end=40),
                     firebreak="refund-agent-off", took_effect=at(20), window=5 * MINUTE)
    assert (effect.verdict, effect.text) == (Verdict.BETTER, "Effect of refund-agent-off on fraud-flag rate: 2.0% →"
                                                             " 1.0% (−50%), within baseline before and after")


def test_a_rise_from_zero_has_no_percentage_to_show():
    effect = measure(reading(FLAGS, {**minutes(0, 20, 0.0), **minutes(21, 40, 0.05)}, end=40),
                     firebreak="refund-agent-off", took_effect=at(20), window=5 * MINUTE)
    assert (effect.verdict, effect.text) == (Verdict.WORSE, "Effect of refund-agent-off on fraud-flag rate: worse:"
                                                            " 0.0% → 5.0%")


def test_a_long_range_keeps_five_points_in_the_window():
    assert step_for(T0 - timedelta(hours=30), T0) == timedelta(minutes=7, seconds=30)
    assert step_for(T0 - timedelta(hours=30), T0, window=5 * MINUTE) == timedelta(minutes=1)
    assert step_for(T0 - timedelta(minutes=30), T0, window=20 * timedelta(seconds=1)) == timedelta(seconds=15)
