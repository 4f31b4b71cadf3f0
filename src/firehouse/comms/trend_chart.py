"""The trend of the numbers by week as a PNG (`charts.SIZE`): incidents declared per week as bars, and the
weekly medians of time to contain and to resolve as lines on a second axis. Drills never count."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from firehouse.comms.charts import png
from firehouse.domain.stats import Numbers, Week
from firehouse.domain.times import stamp

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_LABELS = 16  # week labels along the bottom; with more weeks, every second (third, …) one is labelled
BARS, CONTAIN, RESOLVE = "#9aa5b1", "#d9480f", "#1864ab"
UNITS = ((timedelta(days=2), "days", 86400), (timedelta(hours=2), "hours", 3600), (timedelta(0), "minutes", 60))


def trend_chart(numbers: Numbers) -> bytes:
    """The PNG of the weekly trend of `numbers`."""
    return png(lambda figure: draw(figure, numbers))


def draw(figure: Figure, numbers: Numbers) -> None:
    from matplotlib.ticker import MaxNLocator  # imported late: matplotlib takes a while

    weeks = numbers.weeks
    axes = figure.add_subplot()
    axes.set_title(f"Incidents declared {stamp(numbers.since)} to {stamp(numbers.until)}, by week (drills excluded)")
    positions = list(range(len(weeks)))
    axes.bar(positions, [w.incidents for w in weeks], color=BARS, label="incidents declared")
    axes.set_ylabel("incidents declared")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("week starting (Monday, UTC)")
    step = max(1, math.ceil(len(weeks) / MAX_LABELS))
    axes.set_xticks(positions[::step], labels=[f"{w.start:%d %b}\n{w.start:%Y}" for w in weeks[::step]])
    if not numbers.total.incidents:
        axes.text(0.5, 0.5, "No incidents in this window", ha="center", va="center", transform=axes.transAxes)
        return
    times = axes.twinx()
    unit, seconds = unit_of(weeks)
    for attribute, colour, label in (("to_contain", CONTAIN, "median time to contain"),
                                     ("to_resolve", RESOLVE, "median time to resolve")):
        values = [getattr(w, attribute) for w in weeks]
        times.plot(positions, [math.nan if v is None else v.total_seconds() / seconds for v in values],
                   color=colour, marker="o", label=label)
    times.set_ylabel(f"median from the first signal ({unit})")
    times.set_ylim(bottom=0)
    handles, labels = axes.get_legend_handles_labels()
    more_handles, more_labels = times.get_legend_handles_labels()
    figure.legend(handles + more_handles, labels + more_labels, loc="outside upper center", ncols=3, frameon=False)


def unit_of(weeks: Sequence[Week]) -> tuple[str, int]:
    """Days, hours or minutes, whichever keeps the longest weekly median readable; and its length in seconds."""
    longest = max((t for w in weeks for t in (w.to_contain, w.to_resolve) if t is not None), default=timedelta(0))
    return next((name, seconds) for at_least, name, seconds in UNITS if longest >= at_least)
