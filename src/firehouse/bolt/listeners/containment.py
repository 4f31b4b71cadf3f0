"""The snapshot form and the firebreak buttons (Pull, Lift, Snapshot first)."""

from __future__ import annotations

import re

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.containment import lift_pressed, pull_pressed
from firehouse.bolt.handlers.evidence import SNAPSHOT_FORM, snapshot_first
from firehouse.bolt.listeners.replies import on_button, on_form
from firehouse.bolt.work import Background
from firehouse.slack.evidence_blocks import SNAPSHOT_ACTION, SNAPSHOT_CALLBACK
from firehouse.slack.firebreak_blocks import LIFT_ACTION, PULL_ACTION


def register(app: App, services: Services, background: Background) -> None:
    for action_id, handle in ((SNAPSHOT_ACTION, snapshot_first), (re.compile(f"^{PULL_ACTION}:"), pull_pressed),
                              (re.compile(f"^{LIFT_ACTION}:"), lift_pressed)):
        on_button(app, services=services, background=background, action_id=action_id, handle=handle)
    on_form(app, services=services, background=background, callback_id=SNAPSHOT_CALLBACK, form=SNAPSHOT_FORM)
