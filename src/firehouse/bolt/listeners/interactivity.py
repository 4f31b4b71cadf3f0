"""The declare modal: live severity proposal, validation before ack, then the declaration."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App

from firehouse.bolt.handlers import Services
from firehouse.bolt.listeners.replies import guarded, tell
from firehouse.bolt.work import Background
from firehouse.errors import SlackFailure
from firehouse.slack import blocks
from firehouse.slack.gateway import Message
from firehouse.slack.modals import DECLARE_CALLBACK, QUESTIONS_ACTION, declare_modal, read_answers, read_declare_form

log = logging.getLogger(__name__)


def register(app: App, services: Services, background: Background) -> None:
    service, gateway = services.incidents, services.gateway

    @app.action(QUESTIONS_ACTION)
    def questions_changed(ack: Ack, body: dict) -> None:
        """Re-render the modal with the severity the new answers point to."""
        ack()
        background.run(lambda: _rerender(body["view"]))

    def _rerender(view: dict) -> None:
        origin = json.loads(view.get("private_metadata") or "{}").get("channel")
        answers = read_answers(view.get("state", {}).get("values", {}))
        modal = declare_modal(service.catalog, origin_channel=origin, answers=answers)
        try:
            gateway.update_view(view["id"], modal, hash=view.get("hash"))
        except SlackFailure as failure:
            # hash_conflict means a newer answer already re-rendered the modal; the rest is only logged,
            # since the proposal is a hint and submitting still works.
            log.info("declare modal not re-rendered: %s", failure.error)

    @app.view(DECLARE_CALLBACK)
    def declare_submitted(ack: Ack, body: dict, view: dict) -> None:
        form = read_declare_form(view)
        errors = form.errors()
        if form.class_id not in service.catalog.classes:
            errors["class"] = "Pick one of the listed classes."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        user = body["user"]["id"]

        def declare() -> Message:
            outcome = service.declare(
                title=form.title, severity=form.severity, class_id=form.class_id, by=user, captain=form.captain,
                description=form.description, proposed=form.proposed, override_reason=form.override_reason,
                reached_users="harm" in form.answers,
            )
            return blocks.declared(outcome.incident, to=user, problems=outcome.problems)

        background.run(lambda: tell(gateway, user=user, channel=form.origin_channel, message=guarded(declare)))
