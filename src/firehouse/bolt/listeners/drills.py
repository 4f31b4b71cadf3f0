"""The drill picker's Start buttons."""

from __future__ import annotations

import re

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.drills import start_drill
from firehouse.bolt.listeners.replies import on_button
from firehouse.bolt.work import Background
from firehouse.slack.drill_blocks import START_ACTION


def register(app: App, services: Services, background: Background) -> None:
    on_button(app, services=services, background=background, action_id=re.compile(f"^{START_ACTION}:"),
              handle=start_drill)
