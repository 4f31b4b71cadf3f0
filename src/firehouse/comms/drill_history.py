"""The history of the drills as text: one row per ended drill, grouped by scenario, oldest first, so the trend
of each milestone reads down a column; and the same rows as CSV, times in whole seconds."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import timedelta

from firehouse.domain.drills import MILESTONES, DrillRun
from firehouse.domain.times import duration, span

COLUMNS = tuple((key, key.replace("_", " ")) for key, _, _ in MILESTONES)


def _span(delta: timedelta | None) -> str:
    return "never" if delta is None else span(delta)


def text_table(runs: Sequence[DrillRun]) -> str:
    """Every ended drill: when, how long, each milestone's time from the alarm (`*` after its phase), how many
    were on time, the severity chosen against the scenario's, and the checklist items missed."""
    if not runs:
        return "No drill has ended yet. Start one in Slack with `/incident drill`.\n"
    lines = [f"{len(runs)} drill{'' if len(runs) == 1 else 's'}, by scenario, oldest first. Times from the alarm;"
             " * marks a milestone reached after the end of its phase of the 60-minute flow.", ""]
    header = (f"{'incident':>8}  {'started (UTC)':<16}  {'ran':>7}"
              + "".join(f"  {title:>9}" for _, title in COLUMNS) + f"  {'on time':>7}  {'severity':<11}  missed")
    for scenario in dict.fromkeys(run.scenario.name for run in runs):
        lines += [f"{scenario}:", header]
        for run in (r for r in runs if r.scenario.name == scenario):
            report = run.report
            cells = "".join(f"  {_span(m.after) + ('' if m.on_time or m.after is None else '*'):>9}"
                            for m in report.milestones)
            chosen = f"{report.severity.label}/{report.expected_severity.label}"
            lines.append(f"{run.incident_id:>8}  {run.started_at:%Y-%m-%d %H:%M}  "
                         f"{duration(run.started_at, run.ended_at):>7}{cells}"
                         f"  {report.on_time:>3} of {len(report.milestones)}  {chosen:<11}  {len(report.missed)}")
        lines.append("")
    lines.append("severity: chosen/the scenario's. missed: first-hour checklist items done after their checkpoint.")
    return "\n".join(lines) + "\n"


CSV_HEADER = ("incident", "scenario", "started_at", "ended_at", "ended_by", "timed_out",
              *(f"{key}_seconds" for key, _ in COLUMNS), *(f"{key}_on_time" for key, _ in COLUMNS),
              "on_time", "milestones", "severity", "expected_severity", "class", "expected_class", "checklist_missed")


def csv_text(runs: Sequence[DrillRun]) -> str:
    """The same drills, one row each, in the order given; a milestone never reached has an empty time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for run in runs:
        report = run.report
        writer.writerow([run.incident_id, run.scenario.name, run.started_at.isoformat(), run.ended_at.isoformat(),
                         run.ended_by, str(report.timed_out).lower(),
                         *("" if m.after is None else round(m.after.total_seconds()) for m in report.milestones),
                         *(str(m.on_time).lower() for m in report.milestones), report.on_time,
                         len(report.milestones), report.severity.label.lower(),
                         report.expected_severity.label.lower(), report.class_id, report.expected_class,
                         len(report.missed)])
    return out.getvalue()
