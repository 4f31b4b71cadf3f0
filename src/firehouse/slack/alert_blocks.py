"""Block Kit for alerts in a war room: what opened it, what joined it, what resolved. Every label, annotation
and link an alerting system sent is escaped: shown as sent, never a ping, a link or template source."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from firehouse.comms.mrkdwn import escape
from firehouse.domain.alerts import MAX_DETAILED, MAX_VALUE, SOURCES, Alert
from firehouse.domain.times import stamp
from firehouse.slack.gateway import Message
from firehouse.slack.limits import SECTION_TEXT, shorten

HEADINGS = {
    "opened": ":bell: *{source} opened this investigation*: {count} firing",
    "storm": ":ocean: *Alert storm*: {source} sent more alert groups than storm control lets open war rooms;"
             " they gather here. {count} firing",
    "joined": ":bell: *{source}*: {count} more firing in this incident",
    "resolved": ":white_check_mark: *{source}*: {count} resolved. The incident stays open: resolve it with"
                " `/incident resolve` when you have decided.",
}


def alert_post(*, source: str, kind: str, alerts: Sequence[Alert], group_key: str = "",
               rule: int | None = None) -> Message:
    """The alerts with their labels, annotations and links (MAX_DETAILED of them, then a count)."""
    count = f"{len(alerts)} alert{'' if len(alerts) == 1 else 's'}"
    heading = HEADINGS[kind].format(source=SOURCES[source], count=count)
    blocks: list[SectionBlock | ContextBlock] = [SectionBlock(text=MarkdownTextObject(text=heading))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=_alert(alert))) for alert in alerts[:MAX_DETAILED]]
    if len(alerts) > MAX_DETAILED:
        rest = ", ".join(escape(a.name) for a in alerts[MAX_DETAILED:])
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=shorten(f"…and {len(alerts) - MAX_DETAILED} more: {rest}", SECTION_TEXT))))
    notes = []
    if kind in ("opened", "storm"):
        named = f"label rule {rule} of `[alerts]`" if rule else "the `[alerts]` defaults"
        notes.append(f"Class, severity and fire captain from {named}. The captain is provisional until someone"
                     " takes the role: `/incident captain @you`.")
    if group_key:
        notes.append(f"Group key `{escape(shorten(group_key, MAX_VALUE))}`: its repeats land here.")
    blocks += [ContextBlock(elements=[MarkdownTextObject(text=note)]) for note in notes]
    names = ", ".join(escape(a.name) for a in alerts[:MAX_DETAILED])
    return Message(text=shorten(f"{SOURCES[source]}: {count} {'resolved' if kind == 'resolved' else 'firing'}:"
                                f" {names}", SECTION_TEXT), blocks=blocks)


def _alert(alert: Alert) -> str:
    """One alert: its name and state, summary, labels, other annotations, and the link to its source."""
    since = f"resolved at {stamp(alert.ends_at)}" if not alert.firing and alert.ends_at else \
        ("resolved" if not alert.firing else f"firing since {stamp(alert.starts_at)}")
    lines = [f"*{escape(shorten(alert.name, MAX_VALUE))}* · {since}"]
    if alert.summary:
        lines.append(escape(shorten(alert.summary, 1000)))
    lines.append(" ".join(f"`{escape(name)}={escape(shorten(value, MAX_VALUE))}`"
                          for name, value in sorted(alert.labels.items())))
    lines += [f"*{escape(name)}*: {escape(shorten(value, 1000))}" for name, value in sorted(alert.annotations.items())
              if name != "summary"]
    if alert.generator_url:
        lines.append(f"Source: {escape(shorten(alert.generator_url, 1000))}")
    return shorten("\n".join(lines), SECTION_TEXT)
