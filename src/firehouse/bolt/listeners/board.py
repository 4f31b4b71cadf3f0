"""The status board's buttons and the update form."""

from __future__ import annotations

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.updates import UPDATE_FORM, open_update_form, snooze
from firehouse.bolt.listeners.replies import on_button, on_form
from firehouse.bolt.work import Background
from firehouse.slack.board_blocks import SNOOZE_ACTION, UPDATE_ACTION, UPDATE_CALLBACK


def register(app: App, services: Services, background: Background) -> None:
    on_button(app, services=services, background=background, action_id=UPDATE_ACTION, handle=open_update_form)
    on_button(app, services=services, background=background, action_id=SNOOZE_ACTION, handle=snooze)
    on_form(app, services=services, background=background, callback_id=UPDATE_CALLBACK, form=UPDATE_FORM)
