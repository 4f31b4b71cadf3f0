"""The drill picker's Start buttons."""

from __future__ import annotations

import re

from slack_bolt import App

from firehouse.bolt.handlers import Services, start_drill
from firehouse.bolt.listeners.replies import on_button
from firehouse.bolt.work import Background
from firehouse.slack.drill_blocks import START_ACTION
from firehouse.slack.gateway import Message


def register(app: App, services: Services, background: Background) -> None:
    def start(user: str, value: str, body: dict) -> Message:
        # The picker is an ephemeral reply: the channel it was shown in is where the drill was asked for.
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        return start_drill(services, name=value, user=user, channel=channel)

    on_button(app, gateway=services.gateway, background=background, action_id=re.compile(f"^{START_ACTION}:"),
              handle=start)
