"""Routing rules: who comes and who hears. A rule matches an incident's class, severity and cause, and says whom
to invite, where else to announce it and which pagers to page. Each rule applies once per incident: at the
declaration, or at the first change of class, severity or cause that makes it match."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from firehouse.domain.events import TimelineEntry
from firehouse.domain.model import Incident

MATCH_KEYS = ("class", "severity", "cause")
KIND = "routing"  # the timeline kind of a rule applied: its mentions and links are Firehouse's own


@dataclass(frozen=True)
class Rule:
    """One `[[routing]]` table. `match` maps each key it names to the values any of which matches."""

    name: str  # its own `name`, else "rule N" (its place in the file, from 1)
    match: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    invite: tuple[str, ...] = ()  # people (U…, W…) and user groups (S…)
    announce: tuple[str, ...] = ()  # channel ids
    page: tuple[str, ...] = ()  # names of [pagers.<name>]
    key: str = ""  # what an incident remembers it by: its own name, or (unnamed) what it says, so that a rule put
    # above it in the file, which renumbers it, neither applies it again nor passes for it

    @property
    def remembered_as(self) -> str:
        return self.key or self.name

    def matches(self, incident: Incident) -> bool:
        """Every key the rule names matches the incident (a rule naming none matches every incident)."""
        values = {"class": incident.class_id, "severity": incident.severity.label.lower(),
                  "cause": incident.cause or ""}
        return all(values[key] in wanted for key, wanted in self.match.items())

    def why(self) -> str:
        """What it matched on, as people read it: `class data or compliance; severity sev1`."""
        return "; ".join(f"{key} {' or '.join(values)}" for key, values in self.match.items()) or "every incident"


def due(rules: Sequence[Rule], incident: Incident, applied: Collection[str]) -> list[Rule]:
    """The rules that match the incident now and have not been applied to it yet, in the file's order."""
    return [rule for rule in rules if rule.remembered_as not in applied and rule.matches(incident)]


@dataclass(frozen=True)
class Routed:
    """A routing rule applied to the incident: whom it invited (people and user groups), where it announced it,
    which pagers it paged. A drill invites and announces nowhere and only shows it; its pages go out only when its
    scenario says so (`pages_live`)."""

    at: datetime
    by: str
    rule: str
    why: str
    invite: tuple[str, ...] = ()
    announce: tuple[str, ...] = ()
    page: tuple[str, ...] = ()
    drill: bool = False
    pages_live: bool = True

    def timeline_entry(self) -> TimelineEntry:
        parts = []
        if self.invite:
            parts.append(("would invite " if self.drill else "invited ") + ", ".join(map(_mention, self.invite)))
        if self.announce:
            parts.append(("would announce in " if self.drill else "announced in ")
                         + ", ".join(f"<#{channel}>" for channel in self.announce))
        if self.page:
            parts.append(("paged " if self.pages_live else "would page ") + ", ".join(self.page))
        did = "; ".join(parts) or "nothing to do"
        drill = " (a drill)" if self.drill else ""
        return TimelineEntry(self.at, self.by, KIND, f"Routing {self.rule} ({self.why}){drill}: {did}")


def _mention(who: str) -> str:
    return f"<!subteam^{who}>" if who.startswith("S") else f"<@{who}>"
