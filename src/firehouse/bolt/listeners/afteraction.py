"""The follow-up actions' buttons and form, the eval-fixture form, and Publish on the postmortem draft."""

from __future__ import annotations

import re

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.afteraction import CHANGE_FORM, FIXTURE_FORM, mark_done, open_change_form, publish_pressed
from firehouse.bolt.listeners.replies import on_button, on_form
from firehouse.bolt.work import Background
from firehouse.slack.afteraction_blocks import (
    CHANGE_ACTION,
    CHANGE_CALLBACK,
    DONE_ACTION,
    FIXTURE_CALLBACK,
    PUBLISH_ACTION,
)


def register(app: App, services: Services, background: Background) -> None:
    for action_id, handle in ((re.compile(f"^{DONE_ACTION}:"), mark_done),
                              (re.compile(f"^{CHANGE_ACTION}:"), open_change_form), (PUBLISH_ACTION, publish_pressed)):
        on_button(app, services=services, background=background, action_id=action_id, handle=handle)
    on_form(app, services=services, background=background, callback_id=CHANGE_CALLBACK, form=CHANGE_FORM)
    on_form(app, services=services, background=background, callback_id=FIXTURE_CALLBACK, form=FIXTURE_FORM)
