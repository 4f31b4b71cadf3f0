"""Events: what the Home tab shows, and a :pushpin: reaction that copies a war-room message into the timeline."""

from __future__ import annotations

import logging

from slack_sdk.models.views import View

from firehouse.bolt.handlers.request import Services
from firehouse.errors import FirehouseError
from firehouse.slack import blocks
from firehouse.slack.gateway import Message
from firehouse.slack.home import home_view

log = logging.getLogger(__name__)


def home(services: Services) -> View:
    """The Home tab: the open incidents, and the resolved ones not locked yet."""
    incidents = services.incidents
    return home_view(incidents.open_incidents(), now=incidents.clock(), unlocked=services.afteraction.unlocked())


def pin(services: Services, *, channel: str, ts: str, by: str, event_id: str) -> Message | None:
    """Copy the pinned message into the timeline, once per event (Slack retries a slow one); the confirmation
    for the person who pinned it, or None when there is nothing to say (a retry, or not a war room)."""
    incidents = services.incidents
    if not incidents.first_delivery(event_id):
        log.info("event %s was handled before; ignoring Slack's retry", event_id)
        return None
    try:
        return blocks.logged(incidents.pin_to_timeline(channel=channel, ts=ts, by=by))
    except FirehouseError as err:
        log.info("pushpin in %s: %s", channel, err)
        return None
