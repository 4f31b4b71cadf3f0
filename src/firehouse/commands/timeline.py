"""The incident's moments, its status updates and its timeline."""

from __future__ import annotations

from dataclasses import dataclass

from firehouse.commands.grammar import WAR_ROOM, Grammar, nothing
from firehouse.commands.words import text
from firehouse.domain.classes import Catalog
from firehouse.domain.model import MAX_TEXT


@dataclass(frozen=True)
class SetDetected:
    """When the first signal came in; `when` is parsed against the clock by the service."""

    when: str

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> SetDetected:
        return cls(text(rest, what="time", limit=60, form=form))


DETECTED = Grammar("detected", "/incident detected <ISO time | 30m ago>", "when the first signal came in", WAR_ROOM,
                   SetDetected.parse)


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


@dataclass(frozen=True)
class SetAware:
    when: str

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> SetAware:
        return cls(text(rest, what="time", limit=60, form=form))


AWARE = Grammar("aware", "/incident aware <ISO time | 30m ago>",
                "when the organisation became aware (starts most clocks)", WAR_ROOM, SetAware.parse)


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
