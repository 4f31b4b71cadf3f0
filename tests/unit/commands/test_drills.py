"""`/incident drill`: alone the picker, `end` scores it, a scenario's name starts it; the refusals with the form."""

import pytest
from unit.commands.reading import p, refused

from firehouse.commands.drills import EndDrill, PickDrill, StartDrill

DRILL_FORM = "/incident drill [<scenario> | end]"


@pytest.mark.parametrize(("text", "expected"), [
    ("drill", PickDrill()),
    ("drill end", EndDrill()),
    ("drill END", EndDrill()),
    ("drill refund-promise", StartDrill("refund-promise")),
    ("drill Refund-Promise", StartDrill("refund-promise")),
    ("drill  " + "a" * 40 + " ", StartDrill("a" * 40)),
])
def test_drill_picks_ends_or_starts_a_scenario(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("drill refund-promise now", "Name one scenario, or `end`."),
    ("drill end now", "Name one scenario, or `end`."),
    ("drill -refund", "`-refund` is not a scenario name: `/incident drill` lists them."),
    ("drill ../etc/passwd", "`../etc/passwd` is not a scenario name: `/incident drill` lists them."),
    ("drill <!here>", "`&lt;!here&gt;` is not a scenario name: `/incident drill` lists them."),
    ("drill " + "a" * 41, f"`{'a' * 40}` is not a scenario name: `/incident drill` lists them."),
])
def test_drill_refuses_anything_but_one_scenario_name_or_end(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, DRILL_FORM)
