"""What paging looks like in Slack: the list of an incident's pages, and the war room's word on each page."""

from __future__ import annotations

from collections.abc import Sequence

from firehouse.comms.mrkdwn import escape, escape_keeping_references, escape_keeping_users
from firehouse.domain.model import Incident
from firehouse.domain.pages import Page, PageAcknowledged, PageAnswered, PageRequested
from firehouse.domain.routing import Routed
from firehouse.domain.times import hhmm
from firehouse.slack.gateway import Message
from firehouse.slack.limits import sections


def pages(incident: Incident, found: Sequence[Page], *, pagers: Sequence[str]) -> Message:
    """`/incident pages`: one line per page, its state and who acknowledged."""
    if not found:
        hint = (f" Page with `/incident page <pager> [message]`; the pagers are {', '.join(pagers)}." if pagers
                else " No pagers are configured.")
        return Message(text=f"Nobody has been paged for incident {incident.id}.{hint}")
    lines = [f"*Pages for incident {incident.id}*", *(f"• {escape_keeping_users(page.line())}" for page in found)]
    text = "\n".join(lines)
    return Message(text=text, blocks=sections(text))


def routed(event: Routed) -> str:
    """The war room's line for a routing rule applied (what a drill would have done)."""
    return f":busts_in_silhouette: {escape_keeping_references(event.timeline_entry().text)}"


def for_war_room(event: PageRequested | PageAnswered | PageAcknowledged) -> str:
    """The war room's line for a page's progress."""
    match event:
        case PageRequested() if event.drill:
            return f":pager: A drill: would page *{event.pager}* (nobody was paged)."
        case PageRequested():
            again = "again " if event.again else ""
            said = f": {escape(event.message)}" if event.message else ""
            return f":pager: Paging {again}*{event.pager}*{said}"
        case PageAnswered() if event.outcome == "sent":
            verb = "Paged" if event.action == "trigger" else "Resolved the page to"
            return f":pager: {verb} *{event.pager}*: {escape(event.said)}"
        case PageAnswered() if event.outcome == "retrying":
            return f":hourglass: Paging *{event.pager}*: {escape(event.said)}, retrying."
        case PageAnswered() if event.action == "resolve":
            return (f":warning: Resolving the page to *{event.pager}* FAILED: {escape(event.said)}. Resolve it in"
                    " the pager by hand.")
        case PageAnswered():
            return (f":warning: Paging *{event.pager}* FAILED: {escape(event.said)}. Page them another way, or fix"
                    " the pager and `/incident page` again.")
    who = escape(event.who)
    verb = {"acknowledged": "acknowledged", "resolved": "resolved in the pager",
            "triggered": "unacknowledged: nobody holds it now"}[event.state]
    return f":pager: Paged *{event.pager}*: {verb} by {who} at {hhmm(event.moment)}"
