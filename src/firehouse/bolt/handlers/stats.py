"""The numbers over a window, to the person who asked, and the weekly chart shared where they asked."""

from __future__ import annotations

from firehouse.bolt.handlers.request import Request
from firehouse.commands.stats import ShowStats
from firehouse.comms.trend_chart import trend_chart
from firehouse.domain.stats import Numbers
from firehouse.errors import SlackFailure
from firehouse.slack import stats_blocks
from firehouse.slack.gateway import Message


def show_stats(command: ShowStats, req: Request) -> Message:
    """The numbers, to the person who asked; the weekly chart is shared in the channel where they asked."""
    numbers = req.services.stats.last(command.window)
    chart = share_trend(req, numbers, shown=command.shown) if numbers.total.incidents else None
    return stats_blocks.stats_message(numbers, shown=command.shown, chart=chart)


def share_trend(req: Request, numbers: Numbers, *, shown: str) -> str:
    """Share the weekly chart where the command was typed; says where it went, or why it did not."""
    try:
        req.services.outbound.share_chart(
            req.channel, image=trend_chart(numbers), filename=f"incidents-by-week-{numbers.until:%Y-%m-%d}.png",
            title=f"Incidents by week, {shown}",
            comment=f"Incidents by week, {shown} (drills excluded): incidents declared, and the weekly median times"
                    " to contain and to resolve.")
    except SlackFailure as failure:
        return f"The weekly chart could not be posted here (Slack answered `{failure.error}`)."
    return "The weekly chart is posted in this channel."
