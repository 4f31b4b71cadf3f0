"""Bolt listeners, one module per surface. Each acks first, then hands over to the service."""

from __future__ import annotations

from slack_bolt import App

from firehouse.service import IncidentService
from firehouse.slack.listeners import commands, events, interactivity


def register(app: App, service: IncidentService) -> None:
    """Attach every listener to `app`."""
    commands.register(app, service)
    interactivity.register(app, service)
    events.register(app, service)
