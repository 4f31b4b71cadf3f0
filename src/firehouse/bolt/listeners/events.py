"""Events: the Home tab, and :pushpin: reactions that copy a war-room message into the timeline."""

from __future__ import annotations

import logging

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.handlers.events import home, pin
from firehouse.bolt.work import Background
from firehouse.errors import SlackFailure

log = logging.getLogger(__name__)

PIN_REACTION = "pushpin"


def register(app: App, services: Services, background: Background) -> None:
    gateway = services.gateway

    @app.event("app_home_opened")
    def home_opened(event: dict) -> None:
        if event.get("tab", "home") == "home":
            background.run(lambda: gateway.publish_home(event["user"], home(services)))

    @app.event("reaction_added")
    def reaction_added(body: dict, event: dict) -> None:
        item = event.get("item", {})
        if event.get("reaction") != PIN_REACTION or item.get("type") != "message":
            return
        channel, user = item["channel"], event["user"]

        def work() -> None:
            if reply := pin(services, channel=channel, ts=item["ts"], by=user, event_id=body.get("event_id", "")):
                try:
                    gateway.post_ephemeral(channel, user, reply)
                except SlackFailure as err:
                    log.info("pushpin in %s: %s", channel, err)

        background.run(work)
