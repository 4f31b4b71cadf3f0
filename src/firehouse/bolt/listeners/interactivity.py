"""The declare form: the severity proposal re-rendered as the answers change, and its submission."""

from __future__ import annotations

from slack_bolt import Ack, App

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.incidents import DECLARE_FORM, rerender_declare_form
from firehouse.bolt.listeners.replies import on_form
from firehouse.bolt.work import Background
from firehouse.slack.modals import DECLARE_CALLBACK, QUESTIONS_ACTION


def register(app: App, services: Services, background: Background) -> None:
    @app.action(QUESTIONS_ACTION)
    def questions_changed(ack: Ack, body: dict) -> None:
        ack()
        background.run(lambda: rerender_declare_form(body["view"], services))

    on_form(app, services=services, background=background, callback_id=DECLARE_CALLBACK, form=DECLARE_FORM)
