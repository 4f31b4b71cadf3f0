"""Bolt listeners, one module per surface. Each parses, acks, and hands the work to the background."""

from __future__ import annotations

from slack_bolt import App

from firehouse.bolt.handlers import Services
from firehouse.bolt.listeners import (
    afteraction,
    board,
    commands,
    containment,
    drills,
    events,
    interactivity,
    notices,
    signals,
    war_rooms,
)
from firehouse.bolt.listeners import context as log_context
from firehouse.bolt.work import Background


def register(app: App, services: Services, background: Background, *,
             on_command: commands.Observer | None = None) -> None:
    """Attach every listener to `app`; `on_command(verb, outcome)` hears of each `/incident`."""
    log_context.register(app)
    commands.register(app, services, background, on_command=on_command)
    for surface in (interactivity, board, notices, containment, signals, afteraction, drills, events,
                    war_rooms):
        surface.register(app, services, background)
