"""`/incident stats [30d]`: the window's words, and the refusals with the right form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from unit.commands.reading import p

from firehouse.bolt.table import BY_WORDS
from firehouse.commands.stats import ShowStats
from firehouse.domain.classes import Catalog
from firehouse.errors import UsageError

DAY = timedelta(days=1)
FORM = "/incident stats [30d]"


@pytest.mark.parametrize(("text", "expected"), [
    ("stats", ShowStats(30 * DAY, "the last 30 days")),
    ("stats 30d", ShowStats(30 * DAY, "the last 30 days")),
    ("STATS 7D", ShowStats(7 * DAY, "the last 7 days")),
    ("stats 1d", ShowStats(DAY, "the last day")),
    ("stats 12w", ShowStats(84 * DAY, "the last 12 weeks")),
    ("stats 1w", ShowStats(7 * DAY, "the last week")),
    ("stats 366d", ShowStats(366 * DAY, "the last 366 days")),
    ("stats  90 d ", ShowStats(90 * DAY, "the last 90 days")),
])
def test_a_window_is_days_or_weeks(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("stats 0d", "A window of `0d` is empty"),
    ("stats 0w", "A window of `0w` is empty"),
    ("stats 367d", "A window of `367d` is too long"),
    ("stats 53w", "A window of `53w` is too long"),
    ("stats lots", "`lots` is not a window"),
    ("stats 30", "`30` is not a window"),
    ("stats 30d sev1", "`30d sev1` is not a window"),
    ("stats -3d", "`-3d` is not a window"),
    ("stats 2h", "`2h` is not a window"),
    ("stats 3  d", "`3  d` is not a window"),
    ("stats ٣d", "`٣d` is not a window"),  # only the digits 0-9
    ("stats <!channel>", "`&lt;!channel&gt;` is not a window"),
])
def test_anything_else_is_refused_with_the_right_form(text, problem):
    with pytest.raises(UsageError) as refused:
        p(text)
    assert refused.value.problem == (f"{problem}: give days or weeks, like `7d`, `30d` or `12w`, from 1 day to 366"
                                     " days.")
    assert refused.value.form == FORM


def test_stats_runs_anywhere_for_anyone_right_after_list():
    row = BY_WORDS["stats"]
    assert (row.where, row.permission, row.usage(Catalog())) == ("anywhere", None, FORM)
    words = list(BY_WORDS)
    assert words.index("stats") == words.index("list") + 1
