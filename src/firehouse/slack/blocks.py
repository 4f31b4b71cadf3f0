"""Block Kit builders: pure functions from domain objects to messages. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from slack_sdk.models.blocks import ContextBlock, DividerBlock, MarkdownTextObject, SectionBlock

from firehouse.comms.mrkdwn import escape, escape_keeping_references, escape_keeping_users
from firehouse.domain.alerts import KIND as ALERT_KIND
from firehouse.domain.classes import IncidentClass
from firehouse.domain.events import FIREHOUSE, TimelineEntry
from firehouse.domain.model import Incident
from firehouse.domain.routing import KIND as ROUTING_KIND
from firehouse.domain.times import duration, stamp
from firehouse.domain.war_rooms import KINDS as WAR_ROOM_KINDS
from firehouse.slack.gateway import Message
from firehouse.slack.limits import SECTION_TEXT, pack, sections

SECTION_LIMIT = SECTION_TEXT  # characters in one section block, after escaping and wording
MESSAGE_SECTIONS = 10  # sections per message: well inside Slack's 50 blocks and 40k characters
MAX_LISTED = 25  # incidents in one `/incident list` reply, so it always fits one message

FIRST_MINUTES = (
    "*The first minutes*\n"
    "1. *Classify*: confirm the class and severity; severity is harm × reversibility, not how wrong the model was.\n"
    "2. *Contain*: pull a firebreak before you diagnose: kill switch, rollback, fallback to a human.\n"
    "3. *Snapshot before you mutate*: freeze model and prompt versions, config, trace ids and the bad output"
    " before anything changes.\n"
    "4. *Communicate*: tell stakeholders what you know and when they will hear next."
)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def topic(incident: Incident) -> str:
    """The war room's channel topic: a drill says so first; a provisional captain is marked as one."""
    provisional = " (provisional)" if incident.captain_provisional else ""
    return (
        f"{'DRILL · ' if incident.drill else ''}{incident.severity.label} · {incident.class_id}"
        f" · Fire captain: <@{incident.captain}>{provisional} · {incident.status.value}"
    )


def kickoff(incident: Incident, incident_class: IncidentClass) -> Message:
    """The first message in a war room: what this is, who leads, what the first minutes are for."""
    heading = f":rotating_light: *{incident.severity.label} · {escape(incident.title)}*"
    facts = SectionBlock(
        fields=[
            MarkdownTextObject(text=f"*Severity*\n{incident.severity.label}"),
            MarkdownTextObject(text=f"*Class*\n`{incident.class_id}`: {escape(incident_class.description)}"),
            MarkdownTextObject(text=f"*Fire captain*\n<@{incident.captain}>"),
            MarkdownTextObject(text=f"*Status*\n{incident.status.value}"),
        ]
    )
    blocks = [_section(heading), facts]
    if incident.description:  # 3,000 characters typed can be 15,000 escaped: as many sections as it takes
        blocks += sections(escape_keeping_users(incident.description))
    blocks += [
        DividerBlock(),
        _section(FIRST_MINUTES),
        context(
            f"Declared by {_author(incident.declared_by)} at {stamp(incident.declared_at)}."
            " Commands: `/incident log <text>` · `/incident sev <1|2|3> [reason]` · `/incident status <status>`"
            " · `/incident captain @user` · `/incident role <role> @user` · `/incident help`"
        ),
    ]
    text = f"{incident.severity.label} {incident.class_id} incident: {escape(incident.title)}"
    return Message(text=text, blocks=blocks)


def stakeholder_announcement(incident: Incident) -> Message:
    """The broadcast that a war room opened. A private incident names no title, class or description."""
    if incident.private:
        text = (
            f":lock: A private {incident.severity.label} incident (#{incident.id}) was declared."
            f" Fire captain: <@{incident.captain}>."
        )
    else:
        text = (
            f":rotating_light: *{incident.severity.label} · {escape(incident.title)}*\n"
            f"Class `{incident.class_id}` · Fire captain <@{incident.captain}> · War room <#{incident.channel_id}>"
        )
    return Message(text=text, blocks=[_section(text), context(f"Declared at {stamp(incident.declared_at)}")])


def logged(entry: TimelineEntry) -> Message:
    text = f"Logged to the timeline at {stamp(entry.at)}: {escape_keeping_users(entry.text)}"
    return Message(text=text)


def timeline_messages(incident: Incident, entries: Sequence[TimelineEntry]) -> list[Message]:
    """The whole timeline, oldest first, split across as many messages as Slack's limits need."""
    heading = f"*Timeline of {escape(incident.title)}* ({len(entries)} {'entry' if len(entries) == 1 else 'entries'})"
    lines = [f"`{entry.at:%Y-%m-%d %H:%M:%S}` *{entry.kind}* {_author(entry.author)}: {_shown(entry)}"
             for entry in entries]
    return _paged(heading, lines, fallback=f"Timeline of {escape(incident.title)}")


def incident_list(incidents: Sequence[Incident], unlocked: Sequence[tuple[Incident, Sequence[str]]] = ()) -> Message:
    """Open incidents, most severe first, each with a link to its war room (at most MAX_LISTED of them); the drills
    running, apart; then the resolved ones still waiting for their lock, oldest first."""
    drills = [i for i in incidents if i.drill]
    incidents = [i for i in incidents if not i.drill]
    if not incidents and not unlocked and not drills:
        return Message(text="No open incidents.")
    heading = f"*{len(incidents)} open incident{'s' if len(incidents) != 1 else ''}*"
    lines = [
        f"*{i.severity.label}* · {shown_title(i)} · {i.status.value} · captain <@{i.captain}> · <#{i.channel_id}>"
        for i in incidents[:MAX_LISTED]
    ]
    if len(incidents) > MAX_LISTED:
        lines.append(f"…and {len(incidents) - MAX_LISTED} more, listed in Firehouse's Home tab.")
    if drills:
        lines.append(f"*{len(drills)} drill{'s' if len(drills) != 1 else ''} running* (practice, not counted): "
                     + ", ".join(f"<#{i.channel_id}>" for i in drills[:MAX_LISTED]))
    if unlocked:
        lines.append(f"*{len(unlocked)} resolved, not locked yet* (oldest first)")
        lines += [f"{shown_title(i)} · resolved {stamp(i.resolved_at) if i.resolved_at else ''} · {len(missing)} to"
                  f" do before close · <#{i.channel_id}>" for i, missing in unlocked[:MAX_LISTED]]
    sections = pack([heading, *lines], limit=SECTION_LIMIT)
    return Message(text=f"{len(incidents)} open incidents, {len(unlocked)} resolved but not locked",
                   blocks=[_section(s) for s in sections])


def declared(incident: Incident, *, to: str, problems: Sequence[str]) -> Message:
    """The declarer's confirmation that the war room is open."""
    lead = "You are the fire captain." if incident.captain == to else f"<@{incident.captain}> is the fire captain."
    return with_problems(f"War room <#{incident.channel_id}> is open. {lead}", problems)


def with_problems(text: str, problems: Sequence[str]) -> Message:
    """A confirmation followed by the side effects Slack refused."""
    return Message(text="\n".join([text, *problems]))


def roles_message(incident: Incident, roles: Sequence[str]) -> Message:
    """Who holds which role; roles nobody holds say how to fill them."""
    lines = [f"*Fire captain*: <@{incident.captain}>"]
    for role in dict.fromkeys([*roles, *incident.roles]):
        holder = incident.roles.get(role)
        lines.append(f"*{role}*: <@{holder}>" if holder else f"*{role}*: nobody yet (`/incident role {role} @user`)")
    return Message(text="\n".join(lines))


def facts_message(incident: Incident) -> Message:
    """The facts recorded so far."""
    if not incident.facts:
        return Message(text="No facts recorded yet. Add them with `/incident fact <key>=<value> …`.")
    lines = [f"*{key}*: {escape_keeping_users(value)}" for key, value in sorted(incident.facts.items())]
    return Message(text="\n".join(["*Facts*", *lines]))


def summary_message(incident: Incident) -> Message:
    """The incident's moments and the response times measured from the first signal."""
    moments = "\n".join(f"*{name.capitalize()}*: {stamp(at) if at else '-'}" for name, at in incident.moments().items())
    start = incident.first_known_at
    measured = ("measured from detection" if incident.detected_at
                else "measured from the declaration; record detection with `/incident detected`")
    text = (
        f"*{incident.severity.label} · {escape(incident.title)}* · {incident.status} · class `{incident.class_id}`"
        f" · cause `{incident.cause or 'not set'}`\n{moments}\n"
        f"*Time to captain*: {duration(start, incident.captain_at)} · "
        f"*to contain*: {duration(start, incident.contained_at)} · "
        f"*to resolve*: {duration(start, incident.resolved_at)}, {measured}"
    )
    if incident.summary:
        text += f"\n*Summary*: {escape_keeping_users(incident.summary)}"
    return Message(text=text, blocks=sections(text))


def _shown(entry: TimelineEntry) -> str:
    """An entry's text, safe for Slack: people's mentions stay mentions, but what another system sent (an
    alert's labels and annotations) is shown as sent and can mention no one; a routing rule's user groups and
    channels, named in the settings, and the channels Firehouse names when a war room moves stay links."""
    if entry.kind == ALERT_KIND:
        return escape(entry.text)
    if entry.kind == ROUTING_KIND or entry.kind in WAR_ROOM_KINDS:
        return escape_keeping_references(entry.text)
    return escape_keeping_users(entry.text)


def _author(author: str) -> str:
    if author.startswith("cli:"):  # someone on the server (`firehouse export evidence`), not a Slack user
        return f"{escape(author[4:])} (on the server)"
    return "Firehouse" if author == FIREHOUSE else f"<@{author}>"


def shown_title(incident: Incident) -> str:
    """The title, or "private incident" for readers who may not see it."""
    return "private incident" if incident.private else escape(incident.title)


def _paged(heading: str, lines: Iterable[str], *, fallback: str) -> list[Message]:
    sections = pack([heading, *lines], limit=SECTION_LIMIT)
    pages = [sections[i:i + MESSAGE_SECTIONS] for i in range(0, len(sections), MESSAGE_SECTIONS)]
    total = len(pages)
    return [
        Message(text=f"{fallback} ({n}/{total})", blocks=[_section(s) for s in page])
        for n, page in enumerate(pages, start=1)
    ]
