"""A scenario's scripted signal: values by minute read as a range query would answer, kept with the run, checked."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.drills import Scenario, check_script
from firehouse.domain.scripted import SCRIPTED, ScriptedSignal
from firehouse.domain.severity import Severity
from firehouse.domain.signals import Reading, Signal
from firehouse.domain.verification import Verdict, measure

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
FLAGS = ScriptedSignal(name="fraud-flag-rate", label="fraud-flag rate", threshold=0.03, unit="percent",
                       values=((0, 0.09), (5, 0.095), (12.5, 0.021)))
SCENARIO = Scenario(name="refund-fraud", title="Refund agent holds accounts", summary="s", alarm="Fraud holds x50",
                    class_id="action", severity=Severity.SEV1, why="Accounts were frozen.", signals=(FLAGS,))


def at(minutes: float) -> datetime:
    return START + minutes * MINUTE


def points(scripted: ScriptedSignal, started_at: datetime = START, **window) -> list[tuple[datetime, float]]:
    (series,) = scripted.series(started_at, **window)
    assert series.labels == () and series.name == "value"
    return list(series.points)


def test_a_scripted_signal_is_a_threshold_signal_of_the_drill_source():
    assert FLAGS.signal == Signal(name="fraud-flag-rate", query="scripted by the drill's scenario",
                                  label="fraud-flag rate", source=SCRIPTED, unit="percent", worse="higher",
                                  threshold=0.03)
    assert SCRIPTED == "drill"
    assert SCENARIO.signal("fraud-flag-rate") is FLAGS and SCENARIO.signal("other") is None
    assert replace(SCENARIO, signals=()).signal("fraud-flag-rate") is None


def test_the_series_holds_each_value_until_the_next_and_has_nothing_before_the_drill_started():
    assert points(FLAGS, start=at(-3), end=at(14), step=MINUTE) == [
        *((at(m), 0.09) for m in range(5)), *((at(m), 0.095) for m in range(5, 13)), (at(13), 0.021),
        (at(14), 0.021)]


def test_a_value_counts_from_its_own_minute_on_and_nothing_stands_before_the_first():
    late = ScriptedSignal(name="late", label="late", threshold=3, values=((2, 5.0), (4, 1.0)))
    assert points(late, start=at(0), end=at(5), step=MINUTE) == [(at(2), 5.0), (at(3), 5.0), (at(4), 1.0),
                                                                 (at(5), 1.0)]
    assert points(late, start=at(0), end=at(1), step=MINUTE) == []
    assert points(FLAGS, start=at(12), end=at(13), step=30 * SECOND) == [(at(12), 0.095), (at(12.5), 0.021),
                                                                        (at(13), 0.021)]


def test_the_points_lie_on_the_steps_grid_from_the_drills_start_to_the_end_and_not_after():
    started = START + 7 * SECOND  # a drill starts when someone presses Start, not on the grid
    assert points(FLAGS, started, start=at(-1), end=at(1) + 10 * SECOND, step=15 * SECOND) == [
        (START + 15 * SECOND, 0.09), (START + 30 * SECOND, 0.09), (START + 45 * SECOND, 0.09), (at(1), 0.09)]
    assert points(FLAGS, start=at(4) + 5 * SECOND, end=at(5), step=20 * SECOND) == [
        (at(4) + 20 * SECOND, 0.09), (at(4) + 40 * SECOND, 0.09), (at(5), 0.095)]
    assert points(FLAGS, start=at(20), end=at(20), step=MINUTE) == [(at(20), 0.021)]
    assert points(FLAGS, start=at(3), end=at(2), step=MINUTE) == []


def test_a_step_of_nothing_is_refused_rather_than_looping():
    with pytest.raises(ValueError, match="step must be longer than nothing"):
        FLAGS.series(START, start=at(0), end=at(5), step=timedelta())


def test_a_firebreak_pulled_before_the_script_falls_back_is_verified_as_having_worked():
    reading = Reading(FLAGS.signal, at(-10), at(22), tuple(FLAGS.series(START, start=at(-10), end=at(22),
                                                                        step=15 * SECOND)))
    effect = measure(reading, firebreak="refund-agent-off", took_effect=at(10), window=5 * MINUTE)
    assert effect.verdict is Verdict.WORKED
    assert effect.text == "Effect of refund-agent-off on fraud-flag rate: 9.5% → 2.1% (−78%), back within baseline"
    standing = reading.now(5 * MINUTE)
    assert standing.within is True and standing.since == at(12.5)


def test_the_scenario_keeps_its_scripted_signals_through_json():
    kept = json.loads(json.dumps(SCENARIO.to_json()))
    assert kept["signals"] == [{"name": "fraud-flag-rate", "label": "fraud-flag rate", "unit": "percent",
                                "worse": "higher", "threshold": 0.03, "values": [[0, 0.09], [5, 0.095], [12.5, 0.021]]}]
    assert Scenario.from_json(kept) == SCENARIO
    assert Scenario.from_json(kept).signal("fraud-flag-rate").signal.source == SCRIPTED


def test_a_scenario_kept_before_signals_were_scripted_still_loads_without_any():
    kept = SCENARIO.to_json()
    del kept["signals"]
    assert Scenario.from_json(kept).signals == ()


@pytest.mark.parametrize(("values", "limit", "problem"), [
    (((0, 1.0), (60, 2.0)), 60 * MINUTE, r"signals.s.values: minute 60 is past the end of the drill \(time_limit 1h"),
    (((0, 1.0), (5, 2.0), (5, 3.0)), 60 * MINUTE, "the minutes must increase, and 5 comes after 5"),
    (((9, 1.0), (3, 2.0)), 60 * MINUTE, "the minutes must increase, and 3 comes after 9"),
    (((-1, 1.0),), 60 * MINUTE, r"minute -1 is before the drill starts \(0 is the alarm\)"),
    ((), 60 * MINUTE, "signals.s.values has 0 values; give 1 to 500"),
    (tuple((i / 10, 1.0) for i in range(501)), 60 * MINUTE, "has 501 values; give 1 to 500"),
])
def test_a_script_whose_values_cannot_run_is_refused(values, limit, problem):
    scripted = ScriptedSignal(name="s", label="s", threshold=1, values=values)
    with pytest.raises(ValueError, match=problem):
        check_script(injects=(), time_limit=limit, signals=(scripted,))


def test_a_scenario_scripts_at_most_five_signals():
    many = tuple(ScriptedSignal(name=f"s{i}", label="s", threshold=1, values=((0, 1.0),)) for i in range(6))
    with pytest.raises(ValueError, match="6 scripted signals; keep it to 5"):
        check_script(injects=(), time_limit=60 * MINUTE, signals=many)
    check_script(injects=(), time_limit=60 * MINUTE, signals=many[:5])
