"""The facts a notice needs, drafting a notice for a lane, and the regulatory clocks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from firehouse.commands.grammar import WAR_ROOM, Grammar
from firehouse.commands.words import choice, limited, runs, text
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.domain.clocks import REGIMES
from firehouse.domain.facts import FACTS, MAX_FACT
from firehouse.domain.model import MAX_TEXT
from firehouse.errors import UsageError

LANES_WITH_NOTICES = ("product", "legal")
STAGES = ("initial", "intermediate", "final")
_FACT_START = re.compile(r"(?:^|(?<=\s))([A-Za-z_]+)=")


@dataclass(frozen=True)
class RecordFacts:
    """Record facts; with none, show the recorded ones."""

    facts: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> RecordFacts:
        """`key=value …`, where a value runs until the next `<known key>=`: no quoting needed."""
        if not rest:
            return cls()
        starts = [m for m in _FACT_START.finditer(rest) if m[1].lower() in FACTS]
        if not starts or starts[0].start() != 0:
            head = rest.split("=", 1)[0]
            if "=" not in rest:
                problem = ""
            elif not head.strip():
                problem = "A fact name is missing before `=`. "
            elif head != head.rstrip() and head.split()[-1].lower() in FACTS:
                problem = f"Write `{escape(head.split()[-1][:40])}=<value>` with no space before `=`. "
            else:
                problem = f"`{escape(head.split()[0][:40])}` is not a fact I know. "
            raise UsageError(f"{problem}Facts: {', '.join(FACTS)}.", form=form)
        return cls(tuple((match[1].lower(), limited(value, what=f"fact {match[1]}", limit=MAX_FACT, form=form))
                         for match, value in runs(rest, starts)))


FACT = Grammar("fact", "/incident fact <key>=<value> …", "record facts the notices need; alone, list them", WAR_ROOM,
               RecordFacts.parse)


@dataclass(frozen=True)
class DraftNotice:
    lane: str
    template: str | None = None
    regime: str | None = None
    stage: str | None = None

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> DraftNotice:
        words = rest.lower().split()
        lane = choice(words[0] if words else "", LANES_WITH_NOTICES, what="lane", form=form)
        template = regime = stage = None
        for word in words[1:]:
            if (word in REGIMES and regime) or (word in STAGES and stage):
                raise UsageError(f"Name one {'regime' if word in REGIMES else 'stage'}; `{escape(word)}` is a"
                                 " second.", form=form)
            if word in REGIMES:
                regime = word
            elif word in STAGES:
                stage = word
            elif template is None and re.fullmatch(r"[a-z0-9_-]{1,40}", word):
                template = word
            else:
                raise UsageError(f"I don't know what `{escape(word[:40])}` means here.", form=form)
        return cls(lane, template, regime, stage)


COMMS = Grammar("comms", "/incident comms <product|legal> [template] [regime] [initial|intermediate|final]",
                "draft a notice for a lane, for review and approval", WAR_ROOM, DraftNotice.parse)


@dataclass(frozen=True)
class NotReportable:
    regime: str
    reason: str


@dataclass(frozen=True)
class ShowClock:
    """Bare `/incident clock`; with `<regime> not-reportable <reason>`, a NotReportable."""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> ShowClock | NotReportable:
        if not rest:
            return cls()
        regime, _, rest = rest.partition(" ")
        decision, _, reason = rest.strip().partition(" ")
        regime = choice(regime.lower(), REGIMES, what="regime", form=form)
        if decision.lower() != "not-reportable":
            raise UsageError("Record a decision as `not-reportable` followed by the reason.", form=form)
        return NotReportable(regime, text(reason.strip(), what="reason", limit=MAX_TEXT, form=form))


CLOCK = Grammar("clock", "/incident clock [<regime> not-reportable <reason>]",
                "the regulatory deadlines that apply; or record that a regime does not apply", WAR_ROOM,
                ShowClock.parse)
