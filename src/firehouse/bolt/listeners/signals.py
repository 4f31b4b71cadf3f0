"""The live-signal buttons: Watch (or Chart) beside each signal, and Move anyway after the status guard."""

from __future__ import annotations

import re

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.signals import move_pressed, watch_pressed
from firehouse.bolt.listeners.replies import on_button
from firehouse.bolt.work import Background
from firehouse.slack.signal_blocks import MOVE_ACTION, WATCH_ACTION


def register(app: App, services: Services, background: Background) -> None:
    for action_id, handle in ((re.compile(f"^{WATCH_ACTION}:"), watch_pressed), (MOVE_ACTION, move_pressed)):
        on_button(app, services=services, background=background, action_id=action_id, handle=handle)
