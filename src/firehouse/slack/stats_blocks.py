"""Block Kit for `/incident stats`: the totals as fields (verified containments among them), a table by class and
severity (medians), what the counts leave aside, and where the chart went. Pure functions of the numbers."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from firehouse.comms.mrkdwn import escape
from firehouse.comms.stats_report import name_width, notes, share, share_percent, span, window
from firehouse.domain.stats import Figures, Numbers, Times
from firehouse.slack.gateway import Message
from firehouse.slack.limits import SECTION_TEXT, pack

FENCE = "```"
_NAME, _COUNT, _OPEN, _TIME, _SHARE = 14, 4, 6, 9, 10


def stats_message(numbers: Numbers, *, shown: str, chart: str | None) -> Message:
    """The numbers over `shown` (e.g. "the last 30 days"); `chart` says where the weekly chart went, if anywhere."""
    total = numbers.total
    heading = (f"*Incident numbers, {shown}* ({window(numbers)}), drills excluded: *{total.incidents}*"
               f" incident{'' if total.incidents == 1 else 's'}, {total.open} open.")
    if not total.incidents:
        return Message(text=heading.replace("*", ""), blocks=[_section(heading)])
    fields = [
        ("Time to captain", _times(total.to_captain)),
        ("Time to contain (MTTC)", _times(total.to_contain)),
        ("Time to resolve (MTTR)", _times(total.to_resolve)),
        ("Time to first update", _times(total.to_first_update)),
        ("Customer notices on time", share(total.notices)),
        ("Regulatory deadlines met", share(total.deadlines)),
        ("Containments verified", share_percent(total.containments)),
    ]
    blocks = [_section(heading),
              SectionBlock(fields=[MarkdownTextObject(text=f"*{name}*\n{value}") for name, value in fields])]
    room = SECTION_TEXT - 2 * len(FENCE) - 2  # a section's text, less the fences around the table
    blocks += [_section(f"{FENCE}\n{chunk}\n{FENCE}") for chunk in pack(table(numbers), limit=room)]
    said = ["Times are measured from the first signal (detection, else the declaration); the table shows"
            " medians.", *notes(numbers)]
    if chart:
        said.append(chart)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=" ".join(said))]))
    return Message(text=" ".join([heading.replace("*", ""), *([chart] if chart else [])]), blocks=blocks)


def table(numbers: Numbers) -> list[str]:
    """The table's lines: medians by class and by severity, then all the incidents."""
    width = name_width(numbers, at_least=_NAME)
    lines = [f"{'':<{width}}{'n':>{_COUNT}}{'open':>{_OPEN}}{'captain':>{_TIME}}{'contain':>{_TIME}}"
             f"{'resolve':>{_TIME}}{'update':>{_TIME}}{'notices':>{_SHARE}}{'deadlines':>{_SHARE}}"]
    lines += ["by class", *(_row(f, width) for f in numbers.by_class), "by severity",
              *(_row(f, width) for f in numbers.by_severity), _row(numbers.total, width, name="all")]
    return lines


def _row(figures: Figures, width: int, *, name: str | None = None) -> str:
    label = name or f"  {escape(figures.name)}"
    times = "".join(f"{span(t.median):>{_TIME}}" for t in (figures.to_captain, figures.to_contain,
                                                         figures.to_resolve, figures.to_first_update))
    return (f"{label:<{width}}{figures.incidents:>{_COUNT}}{figures.open:>{_OPEN}}{times}"
            f"{share(figures.notices):>{_SHARE}}{share(figures.deadlines):>{_SHARE}}")


def _times(times: Times) -> str:
    if not times.n:
        return "none got there yet"
    return f"median {span(times.median)} · mean {span(times.mean)} · n {times.n}"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))
