"""The numbers as text: an aligned table for a terminal, CSV for a spreadsheet, and the words both share.

The table shows each time as its median, mean and n (the incidents that got that far); the CSV has the same
rows with every time in whole seconds, and empty cells where nothing got there. Verified containments are in
the words and the CSV's last columns, not the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import timedelta

from firehouse.domain import times
from firehouse.domain.stats import Figures, Numbers, Share, Times
from firehouse.domain.times import stamp

TIMES = (("to_captain", "to captain"), ("to_contain", "to contain"), ("to_resolve", "to resolve"),
         ("to_first_update", "to first update"))
_NAME, _COUNT, _OPEN, _TIME, _N, _SHARE = 14, 10, 5, 8, 4, 10


def span(delta: timedelta | None) -> str:
    """A duration as `/incident summary` shows one (`1h 05m`, `3d 2h`, `42s`); `-` for none."""
    return "-" if delta is None else times.span(delta)


def share(part: Share) -> str:
    """`2 of 3`, or `-` when there was nothing to count."""
    return str(part) if part.of else "-"


def share_percent(part: Share) -> str:
    """`3 of 5 (60%)`, or `-` when there was nothing to count."""
    return f"{part} ({part.hit / part.of:.0%})" if part.of else "-"


def window(numbers: Numbers) -> str:
    return f"from {stamp(numbers.since)} to {stamp(numbers.until)}"


def name_width(numbers: Numbers, *, at_least: int) -> int:
    """The first column's width: `at_least`, or more for a long class name (indented by two)."""
    return max([at_least, *(len(f.name) + 3 for f in (*numbers.by_class, *numbers.by_severity))])


def minutes(delta: timedelta) -> str:
    """`60 minutes`; a window that is not whole minutes as a span (`90s` is `1m`)."""
    whole, rest = divmod(int(delta.total_seconds()), 60)
    return span(delta) if rest or not whole else f"{whole} minute{'' if whole == 1 else 's'}"


def notes(numbers: Numbers) -> list[str]:
    """What the counts of notices, deadlines and verified containments mean and what they left aside, in words, for
    all the incidents."""
    notices, deadlines, containments = numbers.total.notices, numbers.total.deadlines, numbers.total.containments
    within = f"marked sent within {minutes(numbers.notice_within)} of the first signal"
    said = [f"Customer notices on time: {notices} (a product-lane notice {within}, out of the incidents that owed or"
            " sent one)" if notices.of else f"Customer notices: none owed or sent (on time is {within})"]
    said[0] += _aside(((notices.aside, "waived (left out)"),
                       (notices.pending, "owed and still inside that time (not counted yet)")))
    said.append(f"Regulatory deadlines met: {deadlines} (reported by their due time, out of those that came due or"
                " were reported)" if deadlines.of else "Regulatory deadlines: none came due or were reported")
    said[1] += _aside(((deadlines.aside, "left out as not reportable"), (deadlines.pending, "not due yet")))
    said.append(f"Containments verified: {share_percent(containments)} (firebreaks that took effect and that a watched"
                " signal measured back within its baseline, out of those that took effect)." if containments.of
                else "Containments verified: no firebreak took effect.")
    return said


def _aside(counts: Iterable[tuple[int, str]]) -> str:
    return "".join(f"; {n} {what}" for n, what in counts if n) + "."


def text_table(numbers: Numbers) -> str:
    """The report `firehouse report incidents` prints: a heading, the table by class, by severity and in all,
    and the notes."""
    total = numbers.total
    lines = [f"Incidents declared {window(numbers)}, drills excluded: {total.incidents} ({total.open} open)."]
    if not total.incidents:
        return lines[0] + "\n"
    lines += ["Times are measured from the first signal (detection, else the declaration): median, mean and n,"
              " the incidents that got that far.", ""]
    width = name_width(numbers, at_least=_NAME)
    lines.append(f"{'':<{width}}{'incidents':>{_COUNT}}{'open':>{_OPEN}}"
                 + "".join(f"  {title:<{2 * _TIME + _N}}" for _, title in TIMES)
                 + f"{'notices':>{_SHARE}}{'deadlines':>{_SHARE}}")
    lines.append(f"{'':<{width + _COUNT + _OPEN}}"
                 + "".join(f"  {'median':>{_TIME}}{'mean':>{_TIME}}{'n':>{_N}}" for _ in TIMES)
                 + f"{'on time':>{_SHARE}}{'met':>{_SHARE}}")
    lines += ["by class", *(_row(f, width) for f in numbers.by_class), "", "by severity",
              *(_row(f, width) for f in numbers.by_severity), "", _row(total, width, name="all incidents"), ""]
    lines += notes(numbers)
    return "\n".join(lines) + "\n"


def _row(figures: Figures, width: int, *, name: str | None = None) -> str:
    cells = "".join(f"  {span(t.median):>{_TIME}}{span(t.mean):>{_TIME}}{t.n:>{_N}}"
                    for t in (getattr(figures, key) for key, _ in TIMES))
    return (f"{name or '  ' + figures.name:<{width}}{figures.incidents:>{_COUNT}}{figures.open:>{_OPEN}}{cells}"
            f"{share(figures.notices):>{_SHARE}}{share(figures.deadlines):>{_SHARE}}")


CSV_HEADER = ("group", "name", "incidents", "open",
              *(f"{key}_{part}" for key, _ in TIMES for part in ("n", "mean_seconds", "median_seconds")),
              "notices_on_time", "notices_counted", "notices_waived", "notices_pending",
              "deadlines_met", "deadlines_counted", "deadlines_not_reportable", "deadlines_pending",
              "containments_verified", "containments_counted")


def csv_text(numbers: Numbers) -> str:
    """The same rows as the table, with a header: one per class and severity, then `all`. Times are in whole
    seconds; a cell is empty when no incident got that far."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    rows: Iterable[tuple[str, Figures]] = [*(("class", f) for f in numbers.by_class),
                                           *(("severity", f) for f in numbers.by_severity), ("all", numbers.total)]
    for group, figures in rows:
        writer.writerow([group, figures.name.lower(), figures.incidents, figures.open,
                         *(cell for key, _ in TIMES for cell in _seconds(getattr(figures, key))),
                         *_counts(figures.notices), *_counts(figures.deadlines),
                         figures.containments.hit, figures.containments.of])
    return out.getvalue()


def _seconds(times: Times) -> tuple[int, str | int, str | int]:
    def whole(delta: timedelta | None) -> str | int:
        return "" if delta is None else round(delta.total_seconds())

    return times.n, whole(times.mean), whole(times.median)


def _counts(part: Share) -> tuple[int, int, int, int]:
    return part.hit, part.of, part.aside, part.pending
