"""Practice: pick a scenario, start a drill, end and score it."""

from __future__ import annotations

from dataclasses import dataclass

from firehouse.commands.grammar import ANYWHERE, Grammar
from firehouse.comms.mrkdwn import escape
from firehouse.config.scenarios import NAME as SCENARIO_NAME
from firehouse.domain.classes import Catalog
from firehouse.errors import UsageError


@dataclass(frozen=True)
class StartDrill:
    scenario: str


@dataclass(frozen=True)
class EndDrill:
    pass


@dataclass(frozen=True)
class PickDrill:
    """Bare `/incident drill`: the scenarios, each with a Start button."""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> PickDrill | StartDrill | EndDrill:
        """Alone, the picker; `end` scores the drill of this war room; a scenario's name starts it."""
        words = rest.lower().split()
        if not words:
            return cls()
        if len(words) > 1:
            raise UsageError("Name one scenario, or `end`.", form=form)
        if words[0] == "end":
            return EndDrill()
        if not SCENARIO_NAME.match(words[0]):
            raise UsageError(f"`{escape(words[0][:40])}` is not a scenario name: `/incident drill` lists them.",
                             form=form)
        return StartDrill(words[0])


DRILL = Grammar("drill", "/incident drill [<scenario> | end]",
                "practise: start a drill (alone: pick a scenario); `end` scores it", ANYWHERE, PickDrill.parse)
