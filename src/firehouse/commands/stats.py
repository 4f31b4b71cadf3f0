"""The numbers of the incidents declared within a window of days or weeks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from firehouse.commands.grammar import ANYWHERE, Grammar
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.errors import UsageError

_WINDOW = re.compile(r"^([0-9]{1,4}) ?([dw])$", re.IGNORECASE)  # `/incident stats 30d`, `12w`
MAX_STATS_DAYS = 366
_WINDOWS = f"give days or weeks, like `7d`, `30d` or `12w`, from 1 day to {MAX_STATS_DAYS} days"


@dataclass(frozen=True)
class ShowStats:
    """The numbers of the incidents declared within `window` before now; `shown` says it in words."""

    window: timedelta = timedelta(days=30)
    shown: str = "the last 30 days"

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> ShowStats:
        """`[<n>d | <n>w]`: a window of days or weeks before now, from a day to `MAX_STATS_DAYS`; 30 days when bare."""
        if not rest:
            return cls()
        match = _WINDOW.match(rest)
        if not match:
            raise UsageError(f"`{escape(rest[:20])}` is not a window: {_WINDOWS}.", form=form)
        number, unit = int(match[1]), "week" if match[2].lower() == "w" else "day"
        days = number * 7 if unit == "week" else number
        if not 1 <= days <= MAX_STATS_DAYS:
            raise UsageError(f"A window of `{escape(rest)}` is {'empty' if not days else 'too long'}: {_WINDOWS}.",
                             form=form)
        return cls(timedelta(days=days), f"the last {unit}" if number == 1 else f"the last {number} {unit}s")


STATS = Grammar("stats", "/incident stats [30d]", "incident numbers over a window (`7d`, `12w`), with a weekly chart",
                ANYWHERE, ShowStats.parse)
