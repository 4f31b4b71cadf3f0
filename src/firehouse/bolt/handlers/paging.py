"""Paging by hand, and the list of an incident's pages."""

from __future__ import annotations

from firehouse.bolt.handlers.request import Request, changes
from firehouse.commands.paging import ShowPages
from firehouse.slack import paging_blocks
from firehouse.slack.gateway import Message

page = changes(lambda services: services.paging.page)


def show_pages(command: ShowPages, req: Request) -> Message:
    incident, pages = req.services.paging.pages(channel=req.channel)
    return paging_blocks.pages(incident, pages, pagers=list(req.services.paging.settings.pagers))
