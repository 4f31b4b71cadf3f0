"""A drill's readiness chart: each milestone's time against the phases of the 60-minute flow, and where the
run before it stood."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from firehouse.comms.charts import png
from firehouse.domain.board import PHASES
from firehouse.domain.drills import Readiness, phase_ends

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PHASE_NAMES = ("Classify & captain", "Contain", "Preserve evidence", "Stabilize & communicate")
BANDS = ("#fde2e1", "#fff1d6", "#e3f0ff", "#e4f5e4")
ON_TIME, LATE, BEFORE = "#1a7f37", "#cf222e", "#8c959f"


def drill_chart(report: Readiness, *, offsets: Sequence[timedelta], previous: Readiness | None = None) -> bytes:
    """The PNG: one row per milestone, its time as a dot (green inside its phase, red after), never-reached ones
    as a cross at the right edge, the earlier run as a grey ring with an arrow to this one."""
    ends = [end.total_seconds() / 60 for end in phase_ends(offsets)]
    minutes = [m.after.total_seconds() / 60 for m in report.milestones if m.after is not None]
    if previous:
        minutes += [m.after.total_seconds() / 60 for m in previous.milestones if m.after is not None]
    right = max([ends[-1] * 1.1, *(t * 1.08 for t in minutes)])

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        start = 0.0
        for (_, _), name, end, colour in zip(PHASES, PHASE_NAMES, ends, BANDS, strict=True):
            if end > start:
                axes.axvspan(start, end, color=colour, zorder=0)
                axes.text((start + end) / 2, len(report.milestones) - 0.35, name, ha="center", va="bottom",
                          fontsize=9, color="#57606a")
            start = max(start, end)
        rows = list(reversed(report.milestones))  # the first milestone on top
        for y, milestone in enumerate(rows):
            target = milestone.target.total_seconds() / 60
            axes.plot([target, target], [y - 0.3, y + 0.3], color="#57606a", linewidth=1.5, zorder=2)
            earlier = next((m for m in previous.milestones if m.key == milestone.key), None) if previous else None
            if earlier and earlier.after is not None:
                was = earlier.after.total_seconds() / 60
                axes.scatter([was], [y], s=90, facecolors="none", edgecolors=BEFORE, linewidths=2, zorder=3)
                if milestone.after is not None and abs(milestone.after.total_seconds() / 60 - was) > right / 80:
                    axes.annotate("", xy=(milestone.after.total_seconds() / 60, y), xytext=(was, y),
                                  arrowprops={"arrowstyle": "->", "color": BEFORE}, zorder=3)
            if milestone.after is None:
                axes.scatter([right * 0.985], [y], marker="X", s=110, color=LATE, zorder=4)
                axes.text(right * 0.965, y + 0.22, "not done", ha="right", fontsize=8, color=LATE)
            else:
                at = milestone.after.total_seconds() / 60
                axes.scatter([at], [y], s=90, color=ON_TIME if milestone.on_time else LATE, zorder=4)
                axes.text(at, y + 0.22, f"{at:.0f}m" if at >= 1 else f"{at * 60:.0f}s", ha="center", fontsize=8)
        axes.set_yticks(range(len(rows)), [m.label for m in rows], fontsize=9)
        axes.set_ylim(-0.6, len(rows) - 0.1)
        axes.set_xlim(0, right)
        axes.set_xlabel("minutes from the alarm")
        title = f"DRILL {report.scenario}: {report.on_time} of {len(report.milestones)} milestones inside the flow"
        axes.set_title(title + (" (grey: the run before)" if previous else ""), fontsize=11)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)

    return png(draw)
