"""Channels that stop or start taking Firehouse's posts (archived, unarchived, Firehouse invited back), and the
"Open a new war room" button an archived war room's direct message carries."""

from __future__ import annotations

import re

from slack_bolt import App, BoltContext

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.war_rooms import open_new_war_room
from firehouse.bolt.listeners.replies import on_button
from firehouse.bolt.work import Background
from firehouse.slack.war_room_blocks import NEW_ROOM_ACTION


def register(app: App, services: Services, background: Background) -> None:
    @app.event({"type": re.compile(r"^(channel|group)_archive$")})
    def archived(event: dict) -> None:
        # group_archive names no user: then Firehouse is the one that noticed
        background.run(lambda: services.destinations.archived(event["channel"], by=event.get("user")))

    @app.event({"type": re.compile(r"^(channel|group)_unarchive$")})
    def unarchived(event: dict) -> None:
        background.run(lambda: services.destinations.back(event["channel"]))

    @app.event("member_joined_channel")
    def joined(event: dict, context: BoltContext) -> None:
        if event.get("user") == context.bot_user_id:  # invited back into a channel it had been removed from
            background.run(lambda: services.destinations.back(event["channel"]))

    on_button(app, services=services, background=background, action_id=NEW_ROOM_ACTION, handle=open_new_war_room)
