"""Events: the Home tab, and :pushpin: reactions that copy a war-room message into the timeline."""

from __future__ import annotations

import logging

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.work import Background
from firehouse.errors import FirehouseError
from firehouse.slack import blocks
from firehouse.slack.home import home_view

log = logging.getLogger(__name__)

PIN_REACTION = "pushpin"


def register(app: App, services: Services, background: Background) -> None:
    service, gateway = services.incidents, services.gateway

    @app.event("app_home_opened")
    def home_opened(event: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        background.run(lambda: gateway.publish_home(event["user"], home_view(
            service.open_incidents(), now=service.clock(), unlocked=services.afteraction.unlocked())))

    @app.event("reaction_added")
    def reaction_added(body: dict, event: dict) -> None:
        item = event.get("item", {})
        if event.get("reaction") != PIN_REACTION or item.get("type") != "message":
            return
        channel, user = item["channel"], event["user"]

        def pin() -> None:
            if not service.first_delivery(body.get("event_id", "")):
                log.info("event %s was handled before; ignoring Slack's retry", body.get("event_id"))
                return
            try:
                entry = service.pin_to_timeline(channel=channel, ts=item["ts"], by=user)
                gateway.post_ephemeral(channel, user, blocks.logged(entry))
            except FirehouseError as err:
                log.info("pushpin in %s: %s", channel, err)

        background.run(pin)
