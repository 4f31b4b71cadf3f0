"""When Slack takes no more posts where an incident is talked about: its war room archived, Firehouse removed from
it or from the stakeholder channel; a new war room opened in place of an archived one.

Slack lets only people unarchive a channel or invite an app back into a private one, so Firehouse tells the
people who can act, once, and offers what it can do itself: open a new war room and carry on there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from firehouse.domain.events import FIREHOUSE, TimelineEntry

ARCHIVED = "is_archived"
KINDS = ("war room", "stakeholders")  # their timeline entries: Firehouse's words, with the channels it names


def what_happened(reason: str) -> str:
    """Slack's refusal in words: why nothing reaches a channel any more."""
    return {
        ARCHIVED: "was archived",
        "not_in_channel": "no longer has Firehouse in it (a private channel: only a member can invite it back)",
        "channel_not_found": "cannot be found by Firehouse (deleted, or Firehouse was removed from it)",
    }.get(reason, f"refuses Firehouse's posts (Slack said `{reason}`)")


@dataclass(frozen=True)
class WarRoomLost:
    """Slack takes no posts in the war room until a person acts; the captain and admins were told."""

    at: datetime
    by: str  # who archived it, when Slack said; else Firehouse, which found out by a refused post
    channel: str
    reason: str

    @property
    def archived(self) -> bool:
        return self.reason == ARCHIVED

    def timeline_entry(self) -> TimelineEntry:
        who = f" by <@{self.by}>" if self.archived and self.by != FIREHOUSE else ""
        remedy = ("; the captain and admins were asked to unarchive it or open a new war room" if self.archived
                  else "; the captain and admins were told")
        return TimelineEntry(self.at, self.by, KINDS[0],
                             f"The war room <#{self.channel}> {what_happened(self.reason)}{who}: posts owed there"
                             f" wait{remedy}")


@dataclass(frozen=True)
class WarRoomBack:
    """Slack takes posts in the war room again (unarchived, Firehouse invited back)."""

    at: datetime
    by: str
    channel: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, KINDS[0],
                             f"Firehouse can post in the war room <#{self.channel}> again; what waited follows")


@dataclass(frozen=True)
class WarRoomMoved:
    """A new war room opened in place of an archived one; the posts owed to the old one moved to it."""

    at: datetime
    by: str
    archived: str
    channel: str
    moved: int  # posts that were owed to the archived room

    def timeline_entry(self) -> TimelineEntry:
        owed = (f"; {self.moved} post{' owed there follows' if self.moved == 1 else 's owed there follow'} here"
                if self.moved else "")
        return TimelineEntry(self.at, self.by, KINDS[0],
                             f"Opened the war room <#{self.channel}> in place of the archived <#{self.archived}>{owed}")


@dataclass(frozen=True)
class StakeholdersUnreachable:
    """Slack takes no posts in the stakeholder channel until a person acts: stakeholders hear nothing."""

    at: datetime
    by: str
    channel: str
    reason: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, KINDS[1],
                             f"The stakeholder channel <#{self.channel}> {what_happened(self.reason)}: stakeholders"
                             " hear nothing from Firehouse until a person acts; updates owed there wait")


@dataclass(frozen=True)
class StakeholdersReachable:
    """Slack takes posts in the stakeholder channel again: what waited goes out."""

    at: datetime
    by: str
    channel: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, KINDS[1],
                             f"Firehouse can post in the stakeholder channel <#{self.channel}> again; the updates that"
                             " waited follow, in order")
