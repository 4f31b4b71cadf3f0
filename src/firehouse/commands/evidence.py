"""Freezing evidence as `key=value` fields (or the form for long ones), listing what was frozen, and building the
evidence pack."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from firehouse.commands.grammar import WAR_ROOM, Grammar, nothing
from firehouse.commands.words import limited, runs
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.errors import UsageError

MAX_EVIDENCE = 3000  # per field typed on the command line; longer evidence comes from a trace pull
_FIELD_START = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_.-]{0,39})=")


@dataclass(frozen=True)
class Freeze:
    """Freeze `key=value` evidence (free keys; `trace=<id>` pulls a trace, `supersedes=<n>` corrects)."""

    fields: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, fields: Mapping[str, str]) -> Freeze:
        """The fields of the snapshot form (or a test), as typed ones are."""
        return cls(tuple(fields.items()))


@dataclass(frozen=True)
class FreezeSignals:
    """`/incident snapshot signals`: the range data of every watched signal, frozen."""


@dataclass(frozen=True)
class OpenSnapshotForm:
    """Bare `/incident snapshot`: the form for long evidence; with fields, a Freeze."""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> OpenSnapshotForm | Freeze | FreezeSignals:
        """`key=value …`: a value runs until the next ` key=`, so values may hold spaces; keys are free.
        `signals` alone freezes the watched signals."""
        if not rest:
            return cls()
        if rest.lower() == "signals":
            return FreezeSignals()
        if rest.startswith("="):
            raise UsageError("A field name is missing before `=`.", form=form)
        starts = list(_FIELD_START.finditer(rest))
        if not starts or starts[0].start() != 0:
            head = rest.split("=", 1)[0]
            if "=" in rest and head != head.rstrip() and len(head.split()) == 1:
                raise UsageError(f"Write `{escape(head.strip()[:40])}=<value>` with no space before `=`.", form=form)
            raise UsageError(f"Give evidence as `key=value`, like `model=gpt-4o-2024-08-06 output=…`;"
                             f" `{escape(rest.split()[0][:40])}` is not one.", form=form)
        fields: dict[str, str] = {}
        for match, value in runs(rest, starts):
            key = match[1].lower()
            if not value:
                raise UsageError(f"The field `{escape(key)}` is empty; leave it out or give it a value.", form=form)
            if key in fields:
                raise UsageError(f"The field `{escape(key)}` is given twice.", form=form)
            fields[key] = limited(value, what=f"field {key}", limit=MAX_EVIDENCE, form=form)
        return Freeze(tuple(fields.items()))


SNAPSHOT = Grammar("snapshot", "/incident snapshot [<key>=<value> … | signals]",
                   "freeze evidence (`trace=<id>` pulls a trace, `signals` the watched signals; alone, the form)",
                   WAR_ROOM,
                   OpenSnapshotForm.parse)


@dataclass(frozen=True)
class ShowSnapshots:
    pass


SNAPSHOTS = Grammar("snapshots", "/incident snapshots", "what has been frozen, with fingerprints", WAR_ROOM,
                    nothing(ShowSnapshots))


@dataclass(frozen=True)
class BuildEvidencePack:
    pass


EVIDENCE = Grammar("evidence", "/incident evidence",
                   "build the evidence pack (one verifiable archive for a regulator) and upload it here", WAR_ROOM,
                   nothing(BuildEvidencePack))
