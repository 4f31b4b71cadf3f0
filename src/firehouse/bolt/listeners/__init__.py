"""Bolt listeners, one module per surface. Each acks first, then hands over to the service."""

from __future__ import annotations

from slack_bolt import App

from firehouse.notice_desk import NoticeDesk
from firehouse.service import IncidentService
from firehouse.slack.listeners import board, commands, events, interactivity, notices
from firehouse.statusboard import StatusBoard


def register(app: App, service: IncidentService, status_board: StatusBoard, desk: NoticeDesk) -> None:
    """Attach every listener to `app`."""
    commands.register(app, service, status_board, desk)
    interactivity.register(app, service)
    board.register(app, service, status_board)
    notices.register(app, service, desk)
    events.register(app, service)
