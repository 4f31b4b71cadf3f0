"""A watched signal as a PNG (`charts.SIZE`): its values over time, one line per series (or the combined line),
its baseline or threshold dashed behind them, the incident's moments as vertical markers, and under it all where
the signal stands now.

Series names, labels and titles come from outside (a metric's label values, a firebreak's name), so every text
here is drawn as plain text: a `$` never starts mathtext and a `{route="<!channel>"}` is shown as it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from firehouse.comms.charts import png
from firehouse.domain.firebreaks import Firebreak
from firehouse.domain.model import Incident
from firehouse.domain.signals import Point, Reading, finite

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

LINES = ("#1864ab", "#d9480f", "#2b8a3e", "#ae3ec9", "#e67700")  # the named series, largest first
OTHER = "#868e96"  # the series summed as "other"
BASELINE = "#8c959f"
MARKERS = {"signal": "#bf8700", "declared": "#cf222e", "pulled": "#8250df", "lifted": "#0969da",
           "contained": "#1a7f37", "resolved": "#0a3069"}
UNKNOWN = "#57606a"  # a marker of a kind not in MARKERS
LONGEST = 60  # characters of a series name in the legend; longer ones end in "…"


@dataclass(frozen=True)
class Marker:
    """A moment of the incident drawn across the chart: `pulled refund-agent-off` at 14:05."""

    at: datetime
    label: str  # "first signal", "declared", "pulled refund-agent-off", "lifted …", "contained", "resolved"
    kind: str  # a key of MARKERS: "signal", "declared", "pulled", "lifted", "contained" or "resolved"


def signal_chart(reading: Reading, *, markers: Sequence[Marker], window: timedelta, title: str) -> bytes:
    """The PNG of `reading` with `markers`, titled `title`, and its standing over the last `window` beneath."""
    return png(lambda figure: draw(figure, reading, markers=markers, window=window, title=title))


def draw(figure: Figure, reading: Reading, *, markers: Sequence[Marker], window: timedelta, title: str) -> None:
    from matplotlib.dates import AutoDateLocator, DateFormatter  # imported late: matplotlib takes a while
    from matplotlib.ticker import FuncFormatter

    signal = reading.signal
    axes = figure.add_subplot()
    plain(axes.set_title(title, fontsize=11))
    plain(figure.supxlabel(reading.now(window).headline(), fontsize=11))
    axes.set_xlim(reading.start, reading.end)
    axes.xaxis.set_major_locator(AutoDateLocator(tz=UTC))
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=UTC))
    axes.set_xlabel("UTC")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: signal.show(value).replace("$", r"\$")))
    plain(axes.set_ylabel(signal.label))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)

    named = []  # the lines the legend names, in its order (given outright: a name may start with `_`)
    if signal.threshold is not None and math.isfinite(signal.threshold):
        named.append(axes.axhline(signal.threshold, color=BASELINE, linestyle="--", linewidth=1.5, label="threshold",
                                  zorder=2))
    elif baseline := finite(reading.baseline_line):
        named.append(plot(axes, baseline, f"baseline ({signal.baseline_name})", color=BASELINE, linestyle="--",
                          linewidth=1.5, zorder=2))
    if reading.empty:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", fontsize=14, color=UNKNOWN, transform=axes.transAxes)
        if not named:
            axes.set_yticks([])  # nothing drawn: a scale would be made up
    elif len(reading.series) > 1:
        for n, (name, points) in enumerate(reading.lines()):
            if points := finite(points):
                colour = LINES[n] if n < len(LINES) else OTHER
                named.append(plot(axes, points, shorten(name), color=colour, linewidth=2, zorder=3))
    else:
        named.append(plot(axes, finite(reading.line), signal.label, color=LINES[0], linewidth=2, zorder=3))

    for marker in markers:
        if reading.start <= marker.at <= reading.end:
            colour = MARKERS.get(marker.kind, UNKNOWN)
            axes.axvline(marker.at, color=colour, linewidth=1.2, zorder=1)
            plain(axes.text(marker.at, 0.98, marker.label, rotation=90, ha="right", va="top", fontsize=8,
                            color=colour, transform=axes.get_xaxis_transform()))

    if named:
        legend = figure.legend(named, [line.get_label() for line in named], loc="outside right upper", fontsize=8,
                               frameon=False)
        for text in legend.get_texts():
            plain(text)


def plot(axes: Axes, points: Sequence[Point], label: str, **style: object) -> Line2D:
    """One line through `points`, named `label` for the legend."""
    (line,) = axes.plot([at for at, _ in points], [value for _, value in points], label=label, **style)
    return line


def shorten(name: str) -> str:
    """A series name short enough to leave the chart its width."""
    return name if len(name) <= LONGEST else name[:LONGEST - 1] + "…"


def plain(text: Text) -> Text:
    """`text` drawn as the characters it holds: no mathtext, no TeX, whatever matplotlibrc says."""
    text.set_parse_math(False)
    text.set_usetex(False)
    return text


def markers_of(incident: Incident, firebreaks: Sequence[Firebreak]) -> list[Marker]:
    """The moments a signal's chart marks: the first signal, the declaration, each firebreak pulled and lifted,
    contained and resolved."""
    found = [Marker(incident.detected_at, "first signal", "signal")] if incident.detected_at else []
    found.append(Marker(incident.declared_at, "declared", "declared"))
    for firebreak in firebreaks:
        name = firebreak.name or firebreak.kind
        if firebreak.executed_at:
            found.append(Marker(firebreak.executed_at, f"pulled {name}", "pulled"))
        if firebreak.lifted_at:
            found.append(Marker(firebreak.lifted_at, f"lifted {name}", "lifted"))
    if incident.contained_at:
        found.append(Marker(incident.contained_at, "contained", "contained"))
    if incident.resolved_at:
        found.append(Marker(incident.resolved_at, "resolved", "resolved"))
    return found
