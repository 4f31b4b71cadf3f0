"""Firebreaks: the configured ones with Pull buttons, pulling and lifting one, recording one done by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass

from firehouse.commands.grammar import WAR_ROOM, Grammar
from firehouse.commands.words import choice, limited, text
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.domain.firebreaks import KINDS as FIREBREAK_KINDS
from firehouse.domain.model import MAX_TEXT
from firehouse.errors import UsageError

_FIREBREAK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class PullFirebreak:
    name: str
    note: str = ""


@dataclass(frozen=True)
class LiftFirebreak:
    which: str  # a configured name, or a firebreak's number
    note: str = ""


@dataclass(frozen=True)
class RecordFirebreak:
    kind: str
    target: str
    note: str = ""


@dataclass(frozen=True)
class ShowFirebreaks:
    """Bare `/incident firebreak`; its words make a PullFirebreak, LiftFirebreak or RecordFirebreak."""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog,
              form: str) -> ShowFirebreaks | PullFirebreak | LiftFirebreak | RecordFirebreak:
        """Bare: the configured firebreaks; `<name> [note]` pulls, `lift <name|#n> [note]`, `record <kind> <target>`."""
        word, _, after = rest.partition(" ")
        after = after.strip()
        if not word:
            return cls()
        if word.lower() == "record":
            kind, _, after = after.partition(" ")
            target, _, note = after.strip().partition(" ")
            kind = choice(kind.lower(), FIREBREAK_KINDS, what="firebreak kind", form=form)
            return RecordFirebreak(kind, text(target, what="target", limit=200, form=form),
                                   limited(note.strip(), what="note", limit=MAX_TEXT, form=form))
        if word.lower() == "lift":
            which, _, note = after.partition(" ")
            return LiftFirebreak(text(which, what="firebreak to lift (its name or #number)", limit=40, form=form),
                                 limited(note.strip(), what="note", limit=MAX_TEXT, form=form))
        if not _FIREBREAK_NAME.match(word):
            raise UsageError(f"`{escape(word[:40])}` is not a firebreak name.", form=form)
        return PullFirebreak(word.lower(), limited(after, what="note", limit=MAX_TEXT, form=form))


FIREBREAK = Grammar("firebreak",
                    "/incident firebreak [<name> [note] | lift <name|#n> [note] | record <kind> <target> [note]]",
                    "the configured firebreaks with Pull buttons; pull, lift, or record one done by hand", WAR_ROOM,
                    ShowFirebreaks.parse)
