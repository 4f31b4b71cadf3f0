"""What people hear when Slack takes no posts in a war room or the stakeholder channel: the captain's and admins'
direct message (an archived room's offers "Open a new war room"), and the war rooms' word on the stakeholder
channel."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ConfirmObject, SectionBlock

from firehouse.comms.mrkdwn import escape
from firehouse.domain.events import FIREHOUSE
from firehouse.domain.model import Incident
from firehouse.domain.war_rooms import ARCHIVED, what_happened
from firehouse.slack.gateway import Message

NEW_ROOM_ACTION = "war_room_open_new"


def room_lost(incident: Incident, *, channel: str, reason: str, by: str) -> Message:
    """The direct message to the captain and each admin. A private incident is named by its number only."""
    name = f"private incident #{incident.id}" if incident.private else (
        f"incident #{incident.id}, *{escape(incident.title)}*")
    who = f" by <@{by}>" if reason == ARCHIVED and by != FIREHOUSE else ""
    head = f":warning: The war room <#{channel}> of {name} {what_happened(reason)}{who}."
    if reason != ARCHIVED:
        text = (f"{head} Posts owed there wait. A member of the channel can invite Firehouse back"
                " (`/invite @Firehouse` in the channel); what waited then follows in order.")
        return Message(text=text, blocks=[SectionBlock(text=text)])
    text = (f"{head} Slack lets only people unarchive a channel, and posts owed there (status prompts, updates)"
            " wait until then. Unarchive it from the channel's settings, or open a new war room: named after this"
            " one, with its members invited and the topic set, where the incident, its status prompts and what was"
            " owed carry on.")
    button = ButtonElement(
        text="Open a new war room", action_id=NEW_ROOM_ACTION, value=f"{incident.id}:{channel}", style="primary",
        confirm=ConfirmObject(title="Open a new war room?", text="Everyone in the archived room is invited; the"
                              " incident carries on in the new room.", confirm="Open it", deny="Not now"))
    return Message(text=text, blocks=[SectionBlock(text=text), ActionsBlock(elements=[button])])


def stakeholders_lost(*, channel: str, reason: str) -> Message:
    """A war room's (and each admin's) word that the stakeholder channel takes no posts."""
    text = (f":warning: Stakeholders are not hearing from Firehouse: the stakeholder channel <#{channel}>"
            f" {what_happened(reason)}. Updates owed there wait and go out, in order, once Firehouse can post there"
            " again: a member of the channel can invite it (`/invite @Firehouse`), or an admin can point"
            " `stakeholder_channel` at another channel. `firehouse doctor` checks it.")
    return Message(text=text, blocks=[SectionBlock(text=text)])
