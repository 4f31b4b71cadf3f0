"""`[signals.<name>]` in a drill scenario file: a signal scripted by minute, every way it is wrong, the shipped one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firehouse.cli import main
from firehouse.config.scenarios import load
from firehouse.domain.classes import Catalog
from firehouse.domain.drills import Scenario
from firehouse.domain.scripted import SCRIPTED
from firehouse.domain.signals import Reading
from firehouse.domain.verification import Verdict, measure

SCENARIO = '''title = "Support bot leaks a discount code"
summary = "A coupon meant for staff reaches customers."
alarm = "Finance: redemptions of STAFF50 up 40x"
class = "output"
severity = "sev2"
why = "Wrong output reached users; recoverable."
time_limit = "30m"
'''
SIGNAL = '''
[signals.staff-code-uses]
label = "STAFF50 redemptions per minute"
unit = "count"
worse = "higher"
threshold = 5
values = [[0, 180], [12, 40], [18.5, 2]]
'''
MINUTE = timedelta(minutes=1)


def write(folder, name: str, text: str):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(text, encoding="utf-8")


def read(tmp_path, text: str) -> Scenario:
    write(tmp_path, "coupon-leak", text)
    scenarios = load(tmp_path, catalog=Catalog())
    assert scenarios.problems == {}
    return scenarios.found["coupon-leak"]


def test_a_scenario_scripts_a_signal_by_minute(tmp_path):
    (scripted,) = read(tmp_path, SCENARIO + SIGNAL).signals
    signal = scripted.signal
    assert (signal.name, signal.label, signal.source) == ("staff-code-uses", "STAFF50 redemptions per minute", SCRIPTED)
    assert (signal.unit, signal.worse, signal.threshold, signal.baseline) == ("count", "higher", 5.0, None)
    assert scripted.values == ((0.0, 180.0), (12.0, 40.0), (18.5, 2.0))


def test_a_scripted_signals_label_unit_and_direction_default_to_its_name_count_and_higher(tmp_path):
    (scripted,) = read(tmp_path, SCENARIO + '[signals.queue]\nthreshold = 2\nvalues = [[0, 9]]\n').signals
    assert (scripted.signal.label, scripted.signal.unit, scripted.signal.worse) == ("queue", "count", "higher")
    lower = read(tmp_path, SCENARIO + SIGNAL.replace('worse = "higher"', 'worse = "lower"'))
    assert lower.signal("staff-code-uses").signal.worse == "lower"


def test_a_scenario_without_signals_scripts_none(tmp_path):
    assert read(tmp_path, SCENARIO).signals == ()


@pytest.mark.parametrize(("text", "problem"), [
    (SIGNAL.replace("threshold = 5", "colour = 5\nthreshold = 5"), "unknown key signals.staff-code-uses.'colour'"),
    (SIGNAL.replace('unit = "count"', 'unit = "holds"'),
     "signals.staff-code-uses.unit must be one of percent, count, per_second, seconds, usd, tokens, not 'holds'"),
    (SIGNAL.replace('worse = "higher"', 'worse = "up"'), 'signals.staff-code-uses.worse must be "higher" or "lower"'),
    (SIGNAL.replace("threshold = 5\n", ""), "signals.staff-code-uses.threshold is missing (the value it is read"),
    (SIGNAL.replace("threshold = 5", 'baseline = "7d"'),
     "signals.staff-code-uses.baseline: a drill has no week-old data to compare with; give a threshold"),
    (SIGNAL.replace("threshold = 5", 'threshold = "5"'), "signals.staff-code-uses.threshold must be a finite number"),
    (SIGNAL.replace("threshold = 5", "threshold = inf"), "signals.staff-code-uses.threshold must be a finite number"),
    (SIGNAL.replace("values = [[0, 180], [12, 40], [18.5, 2]]\n", ""), "signals.staff-code-uses.values is missing"),
    (SIGNAL.replace("[[0, 180], [12, 40], [18.5, 2]]", "{ 0 = 180 }"),
     "signals.staff-code-uses.values must be a list of [minute, value] pairs, like [[0, 0.09], [15, 0.02]]"),
    (SIGNAL.replace("[12, 40]", "[12, 40, 1]"), "signals.staff-code-uses.values[2] must be a [minute, value] pair"),
    (SIGNAL.replace("[12, 40]", '[12, "forty"]'),
     "signals.staff-code-uses.values[2]'s value must be a finite number, not 'forty'"),
    (SIGNAL.replace("[12, 40]", "[12, nan]"), "signals.staff-code-uses.values[2]'s value must be a finite number"),
    (SIGNAL.replace("[12, 40]", "[true, 40]"), "signals.staff-code-uses.values[2]'s minute must be a finite number"),
    (SIGNAL.replace("[12, 40]", "[inf, 40]"), "signals.staff-code-uses.values[2]'s minute must be a finite number"),
    (SIGNAL.replace("[12, 40]", "[20, 40]"),
     "signals.staff-code-uses.values: the minutes must increase, and 18.5 comes after 20"),
    (SIGNAL.replace("[18.5, 2]", "[30, 2]"),
     "signals.staff-code-uses.values: minute 30 is past the end of the drill (time_limit 30m)"),
    (SIGNAL.replace("[0, 180]", "[-2, 180]"), "signals.staff-code-uses.values: minute -2 is before the drill starts"),
    (SIGNAL.replace("[[0, 180], [12, 40], [18.5, 2]]", "[]"), "signals.staff-code-uses.values has 0 values"),
    (SIGNAL.replace('label = "STAFF50 redemptions per minute"', f'label = "{"x" * 61}"'),
     "signals.staff-code-uses.label is 61 characters long; keep it to 60"),
    (SIGNAL.replace("[signals.staff-code-uses]", "[signals.Staff_Code]"), "[signals.Staff_Code]: a name is 1-40"),
    ("\nsignals = 3\n", "[signals] must be a table"),
    ("".join(f"\n[signals.s{i}]\nthreshold = 1\nvalues = [[0, 2]]\n" for i in range(6)),
     "6 scripted signals; keep it to 5"),
])
def test_a_scripted_signal_that_cannot_run_is_named_in_one_line_with_its_key(tmp_path, text, problem):
    write(tmp_path, "broken", SCENARIO + text)
    scenarios = load(tmp_path, catalog=Catalog())
    assert "broken" not in scenarios.found
    assert scenarios.problems["broken"].startswith("broken.toml: ")
    assert problem in scenarios.problems["broken"] and "\n" not in scenarios.problems["broken"]


def test_a_parsed_scenario_with_a_signal_survives_the_runs_frozen_copy(tmp_path):
    scenario = read(tmp_path, SCENARIO + SIGNAL)
    assert Scenario.from_json(scenario.to_json()) == scenario


@pytest.mark.parametrize("pulled", [12, 15])
def test_the_shipped_refund_fraud_drill_scripts_a_fraud_flag_rate_that_a_timely_firebreak_brings_back(pulled):
    """Bad from the alarm; a firebreak pulled inside the contain phase (10-20 minutes) is verified, 10 minutes
    later, as having brought it back within its threshold."""
    scenario = load(None, catalog=Catalog()).found["refund-fraud"]
    (scripted,) = scenario.signals
    signal = scripted.signal
    assert (signal.name, signal.unit, signal.worse, signal.source) == ("fraud-flag-rate", "percent", "higher", SCRIPTED)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    end = start + (pulled + 10) * MINUTE
    series = scripted.series(start, start=start - 10 * MINUTE, end=end, step=timedelta(seconds=15))
    reading = Reading(signal, start - 10 * MINUTE, end, tuple(series))
    assert reading.line[0] == (start, scripted.values[0][1]) and not signal.within(reading.line[0][1], None)
    assert measure(reading, firebreak="refund-agent-off", took_effect=start + pulled * MINUTE,
                   window=5 * MINUTE).verdict is Verdict.WORKED


def test_every_shipped_scenario_with_its_signals_passes_firehouse_drills_check(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for variable in ("FIREHOUSE_CONFIG", "FIREHOUSE_DRILLS"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["drills", "check"]) == 0
    out = capsys.readouterr().out
    assert "ok    refund-fraud" in out and "FAIL" not in out
    assert any(s.signals for s in load(None, catalog=Catalog()).found.values())
