"""The incident's moments, its status updates and its timeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from firehouse.commands.grammar import WAR_ROOM, Grammar, nothing
from firehouse.commands.words import text
from firehouse.domain.classes import Catalog
from firehouse.domain.model import MAX_TEXT


@dataclass(frozen=True)
class SetMoment:
    """When the incident was `detected` (its first signal) or the organisation became `aware` of it; `when` is
    parsed against the clock by the use case."""

    name: str
    when: str

    @classmethod
    def parser(cls, name: str) -> Callable[[str, Catalog, str], SetMoment]:
        return lambda rest, catalog, form: cls(name, text(rest, what="time", limit=60, form=form))


DETECTED = Grammar("detected", "/incident detected <ISO time | 30m ago>", "when the first signal came in", WAR_ROOM,
                   SetMoment.parser("detected"))


@dataclass(frozen=True)
class ShowSummary:
    pass


SUMMARY = Grammar("summary", "/incident summary", "the recorded moments and time to captain, contain, resolve",
                  WAR_ROOM, nothing(ShowSummary))


@dataclass(frozen=True)
class PostUpdate:
    text: str

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> PostUpdate:
        return cls(text(rest, what="update", limit=MAX_TEXT, form=form))


UPDATE = Grammar("update", "/incident update <text>", "a status update: the war room and the stakeholders get it",
                 WAR_ROOM, PostUpdate.parse)


AWARE = Grammar("aware", "/incident aware <ISO time | 30m ago>",
                "when the organisation became aware (starts most clocks)", WAR_ROOM, SetMoment.parser("aware"))


@dataclass(frozen=True)
class Log:
    text: str

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> Log:
        return cls(text(rest, what="timeline entry", limit=MAX_TEXT, form=form))


LOG = Grammar("log", "/incident log <text>", "add a line to the timeline", WAR_ROOM, Log.parse)


@dataclass(frozen=True)
class ShowTimeline:
    pass


TIMELINE = Grammar("timeline", "/incident timeline", "the whole timeline, oldest first", WAR_ROOM,
                   nothing(ShowTimeline))
