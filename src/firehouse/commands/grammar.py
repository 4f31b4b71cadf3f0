"""What every subcommand declares about itself: its words, usage form, description, where it runs, its parser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from firehouse.domain.classes import Catalog
from firehouse.domain.lifecycle import SETTABLE

ANYWHERE, WAR_ROOM = "anywhere", "war room"

Parser = Callable[[str, Catalog, str], Any]
"""Takes the text after the subcommand's words, the deployment's catalogue and the usage form for its UsageError."""


@dataclass(frozen=True)
class Grammar:
    """One subcommand's words. `form` may name `{roles}`, `{classes}`, `{causes}` and `{statuses}`, filled in
    from the deployment's catalogue."""

    words: str
    form: str
    about: str
    where: str
    parse: Parser

    def usage(self, catalog: Catalog) -> str:
        return self.form.format(roles="|".join(catalog.roles), classes="|".join(catalog.classes),
                                causes="|".join(catalog.causes), statuses="|".join(SETTABLE))


def nothing(command: type) -> Parser:
    """A parser for a subcommand that takes no words (anything after it is ignored)."""
    return lambda rest, catalog, form: command()
