"""After the incident: follow-up actions, the eval fixture, the postmortem, and closing once locked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from firehouse.commands.grammar import WAR_ROOM, Grammar, nothing
from firehouse.commands.words import MENTION, choice, mention, text
from firehouse.comms.mrkdwn import escape
from firehouse.domain.afteraction import ACTION_KINDS, MAX_ACTION, NOTE_SECTIONS
from firehouse.domain.classes import Catalog
from firehouse.domain.model import MAX_TEXT
from firehouse.errors import UsageError

WAIVE_LOCK = "--waive-lock"


@dataclass(frozen=True)
class AddAction:
    text: str
    kind: str = "prevent"
    owner: str | None = None
    due: date | None = None

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> AddAction:
        """`[kind] <text> [@owner] [due <YYYY-MM-DD>]`: the owner and the due date may come anywhere after the kind."""
        words = rest.split()
        kind = "prevent"
        if words and words[0].lower() in ACTION_KINDS:
            kind = words.pop(0).lower()
        owners = [w for w in words if MENTION.match(w)]
        if len(owners) > 1:
            raise UsageError("Name one owner.", form=form)
        due = None
        for index, word in enumerate(words):
            if word.lower() == "due":
                if index + 1 >= len(words):
                    raise UsageError("Give the due date after `due`, like `due 2026-12-01`.", form=form)
                try:
                    due = date.fromisoformat(words[index + 1])
                except ValueError:
                    raise UsageError(f"`{escape(words[index + 1][:20])}` is not a date like 2026-12-01.",
                                     form=form) from None
                del words[index: index + 2]
                break
        text_words = [w for w in words if w not in owners]
        return cls(text(" ".join(text_words), what="action", limit=MAX_ACTION, form=form), kind,
                   mention(owners[0], form=form) if owners else None, due)


ACTION = Grammar("action", "/incident action [prevent|mitigate|detect|process] <text> [@owner] [due YYYY-MM-DD]",
                 "a follow-up action; `/incident actions` lists them with buttons", WAR_ROOM, AddAction.parse)


@dataclass(frozen=True)
class ShowActions:
    pass


ACTIONS = Grammar("actions", "/incident actions", "the follow-up actions: done, owner, due date", WAR_ROOM,
                  nothing(ShowActions))


@dataclass(frozen=True)
class NoFixture:
    reason: str


@dataclass(frozen=True)
class OpenFixtureForm:
    """Bare `/incident fixture`: the form; `none <reason>` makes a NoFixture."""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> OpenFixtureForm | NoFixture:
        if not rest:
            return cls()
        word, _, reason = rest.partition(" ")
        if word.lower() != "none":
            raise UsageError("Open the form with `/incident fixture`, or say why there can be none with"
                             " `/incident fixture none <reason>`.", form=form)
        return NoFixture(text(reason.strip(), what="reason", limit=MAX_TEXT, form=form))


FIXTURE = Grammar("fixture", "/incident fixture [none <reason>]",
                  "the eval-fixture form, prefilled from the latest snapshot; or why there can be none", WAR_ROOM,
                  OpenFixtureForm.parse)


@dataclass(frozen=True)
class PostmortemNote:
    section: str
    text: str


@dataclass(frozen=True)
class PublishPostmortem:
    pass


@dataclass(frozen=True)
class DraftPostmortem:
    """Bare `/incident postmortem`; `note <section> <text>` and `publish` make the other two."""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> DraftPostmortem | PostmortemNote | PublishPostmortem:
        word, _, after = rest.partition(" ")
        match word.lower():
            case "":
                return cls()
            case "publish":
                return PublishPostmortem()
            case "note":
                section, _, note = after.strip().partition(" ")
                return PostmortemNote(choice(section.lower(), NOTE_SECTIONS, what="section", form=form),
                                      text(note.strip(), what="note", limit=MAX_TEXT, form=form))
        raise UsageError(f"I don't know `{escape(word[:40])}` here.", form=form)


POSTMORTEM = Grammar("postmortem", "/incident postmortem [note <section> <text> | publish]",
                     "draft the postmortem as a file, add to a section, or publish it", WAR_ROOM,
                     DraftPostmortem.parse)


@dataclass(frozen=True)
class Close:
    waiver: str = ""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> Close:
        if not rest:
            return cls()
        flag, _, reason = rest.partition(" ")
        if flag != WAIVE_LOCK:
            raise UsageError(f"`/incident close` takes nothing, or `{WAIVE_LOCK} <reason>`.", form=form)
        return cls(text(reason.strip(), what="reason for closing without the lock", limit=MAX_TEXT, form=form))


CLOSE = Grammar("close", f"/incident close [{WAIVE_LOCK} <reason>]",
                "close a resolved incident once locked (postmortem, fixture, owned actions)", WAR_ROOM, Close.parse)
