"""The App Home tab: open incidents by severity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.domain.times import duration
from firehouse.slack.blocks import shown_title

MAX_PER_SEVERITY = 25  # a Home tab holds 100 blocks: 3 × (25 incidents + 3) + 2 stays inside


def home_view(incidents: Sequence[Incident], *, now: datetime,
              unlocked: Sequence[tuple[Incident, Sequence[str]]] = ()) -> View:
    """Open incidents grouped by severity, most severe first, each with its war room link; then the resolved
    ones still waiting for their lock, oldest first; the drills running last."""
    drills = [i for i in incidents if i.drill]
    incidents = [i for i in incidents if not i.drill]
    blocks: list = [HeaderBlock(text="Open incidents")]
    if not incidents:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No open incidents. :white_check_mark:")))
    for severity in Severity:
        group = [i for i in incidents if i.severity == severity]
        if not group:
            continue
        blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=f"*{severity.label}* ({len(group)})"))]
        for incident in group[:MAX_PER_SEVERITY]:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(
                text=f"*{shown_title(incident)}* · {incident.status.value} · captain <@{incident.captain}>"
                     f" · open {duration(incident.declared_at, now)} · <#{incident.channel_id}>"
            )]))
        if len(group) > MAX_PER_SEVERITY:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(
                text=f"…and {len(group) - MAX_PER_SEVERITY} more {severity.label} incidents: `/incident list`"
            )]))
    if unlocked:
        blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(
            text=f"*Resolved, not locked yet* ({len(unlocked)}): postmortem, fixture, owned actions"))]
        for incident, missing in unlocked[:MAX_PER_SEVERITY]:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(
                text=f"*{shown_title(incident)}* · resolved {duration(incident.resolved_at, now)} ago"
                     f" · {len(missing)} to do · <#{incident.channel_id}>")]))
    if drills:
        blocks += [DividerBlock(), ContextBlock(elements=[MarkdownTextObject(
            text=":construction: *Drills running* (practice, not counted): "
                 + ", ".join(f"<#{i.channel_id}>" for i in drills[:MAX_PER_SEVERITY]))])]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Type `/incident` to declare one.")]))
    return View(type="home", blocks=blocks)
