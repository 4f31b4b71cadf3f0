"""Live signals: the configured ones with Watch buttons, watching one, and stopping."""

from __future__ import annotations

import re
from dataclasses import dataclass

from firehouse.commands.grammar import WAR_ROOM, Grammar
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.errors import UsageError

_SIGNAL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


@dataclass(frozen=True)
class WatchSignal:
    name: str


@dataclass(frozen=True)
class StopWatching:
    name: str


@dataclass(frozen=True)
class ShowSignals:
    """Bare `/incident watch`; `<signal>` makes a WatchSignal, `stop <signal>` a StopWatching."""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> ShowSignals | WatchSignal | StopWatching:
        words = rest.split()
        if not words:
            return cls()
        stop = words[0].lower() == "stop"
        names = words[1:] if stop else words
        if len(names) != 1:
            raise UsageError("Name one signal." if names else "Name the signal to stop watching.", form=form)
        name = names[0].lower()
        if not _SIGNAL_NAME.match(name):
            raise UsageError(f"`{escape(names[0][:40])}` is not a signal name.", form=form)
        return StopWatching(name) if stop else WatchSignal(name)


WATCH = Grammar("watch", "/incident watch [<signal> | stop <signal>]",
                "live signals: the chart, the value against its baseline", WAR_ROOM, ShowSignals.parse)
