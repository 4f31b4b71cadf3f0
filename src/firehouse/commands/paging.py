"""Paging by hand, and the pages an incident has: who was paged, and who acknowledged."""

from __future__ import annotations

import re
from dataclasses import dataclass

from firehouse.commands.grammar import WAR_ROOM, Grammar, nothing
from firehouse.commands.words import limited
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.errors import UsageError

MAX_MESSAGE = 500  # with the incident's own summary, inside PagerDuty's 1,024 characters
_PAGER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class PagePager:
    pager: str
    message: str = ""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> PagePager:
        pager, _, message = rest.partition(" ")
        if not pager:
            raise UsageError("Name the pager to page (`/incident pages` lists what was paged).", form=form)
        if not _PAGER.match(pager.lower()):
            raise UsageError(f"`{escape(pager[:40])}` is not a pager name.", form=form)
        return cls(pager.lower(), limited(message.strip(), what="message", limit=MAX_MESSAGE, form=form))


@dataclass(frozen=True)
class ShowPages:
    pass


PAGE = Grammar("page", "/incident page <pager> [message]", "page someone: a configured pager", WAR_ROOM,
               PagePager.parse)
PAGES = Grammar("pages", "/incident pages", "every page with its state, and who acknowledged", WAR_ROOM,
                nothing(ShowPages))
