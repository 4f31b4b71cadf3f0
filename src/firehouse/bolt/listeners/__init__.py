"""Bolt listeners, one module per surface. Each parses, acks, and hands the work to the background."""

from __future__ import annotations

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.listeners import afteraction, board, commands, containment, events, interactivity, notices
from firehouse.bolt.work import Background


def register(app: App, services: Services, background: Background) -> None:
    """Attach every listener to `app`."""
    for surface in (commands, interactivity, board, notices, containment, afteraction, events):
        surface.register(app, services, background)
