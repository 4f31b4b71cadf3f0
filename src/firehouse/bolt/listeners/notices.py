"""The buttons on a drafted notice (Edit, Approve, Publish, Mark sent), and its edit form."""

from __future__ import annotations

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.notices import EDIT_FORM, approve, mark_sent, open_editor, publish
from firehouse.bolt.listeners.replies import on_button, on_form
from firehouse.bolt.work import Background
from firehouse.slack.notice_blocks import APPROVE_ACTION, EDIT_ACTION, EDIT_CALLBACK, PUBLISH_ACTION, SENT_ACTION


def register(app: App, services: Services, background: Background) -> None:
    for action_id, handle in ((EDIT_ACTION, open_editor), (APPROVE_ACTION, approve), (SENT_ACTION, mark_sent),
                             (PUBLISH_ACTION, publish)):
        on_button(app, services=services, background=background, action_id=action_id, handle=handle)
    on_form(app, services=services, background=background, callback_id=EDIT_CALLBACK, form=EDIT_FORM)
