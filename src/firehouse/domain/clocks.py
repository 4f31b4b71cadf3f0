"""Regulatory clocks: each regime's deadlines, each from its own starting moment.

    GDPR Art. 33       authority within 72 h of awareness
    EU AI Act Art. 73  15 days; 2 days if widespread or critical infrastructure; 10 days if a death
    NIS2 Art. 23       early warning 24 h, notification 72 h, final report a month after notification
    DORA Art. 19       initial 4 h after classification and at most 24 h after awareness; intermediate
                       72 h after the initial report; final a month after the intermediate one
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

REMINDER_POINTS = (0.5, 0.75, 0.9, 1.0)


@dataclass(frozen=True)
class Regime:
    """A reporting regime a deployment may enable."""

    id: str
    name: str
    authority: str
    applies_to: str  # what kind of incident it covers, in words
    classes: tuple[str, ...]  # the incident classes it covers by default


REGIMES: dict[str, Regime] = {
    r.id: r
    for r in (
        Regime("gdpr", "GDPR Art. 33", "the competent supervisory authority", "a personal-data breach",
               ("data", "compliance")),
        Regime("eu_ai_act", "EU AI Act Art. 73", "the market surveillance authority",
               "a serious incident of a high-risk AI system", ("output", "action", "compliance")),
        Regime("nis2", "NIS2 Art. 23", "the CSIRT or competent authority", "a significant incident",
               ("data", "action", "compliance")),
        Regime("dora", "DORA Art. 19", "the competent financial supervisor", "a major ICT-related incident",
               ("output", "action", "data", "compliance")),
    )
}


@dataclass(frozen=True)
class Deadline:
    """One report owed to an authority: which regime and stage, counted from when, due when."""

    regime: str
    stage: str  # initial, intermediate or final
    label: str
    starts: str  # the moment it counts from: aware, classified, …
    start: datetime
    due: datetime

    @property
    def key(self) -> str:
        return f"{self.regime}:{self.stage}"

    def reminders(self) -> list[tuple[float, datetime]]:
        """When the legal role holder is reminded: at 50 %, 75 % and 90 % of the window and at expiry."""
        return [(point, self.start + (self.due - self.start) * point) for point in REMINDER_POINTS]


def add_months(moment: datetime, months: int = 1) -> datetime:
    """The same day and time `months` later; the last day of the month when that day does not exist.

    Counted on the UTC calendar, so the same moment gives the same deadline whatever offset it came with.
    """
    moment = moment.astimezone(UTC)
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def deadlines(regime: str, *, aware_at: datetime, classified_at: datetime | None,
              facts: Mapping[str, str] | None = None) -> list[Deadline]:
    """Every deadline `regime` sets for an incident we became aware of at `aware_at`."""
    facts = facts or {}
    hours = timedelta(hours=1)
    if regime == "gdpr":
        return [Deadline("gdpr", "initial", "notify the supervisory authority", "aware", aware_at,
                         aware_at + 72 * hours)]
    if regime == "eu_ai_act":
        case = facts.get("ai_act_case", "standard")
        days = {"widespread": 2, "critical_infrastructure": 2, "death": 10}.get(case, 15)
        return [Deadline("eu_ai_act", "initial", f"report the serious incident ({case.replace('_', ' ')})", "aware",
                         aware_at, aware_at + timedelta(days=days))]
    if regime == "nis2":
        notification = aware_at + 72 * hours
        return [
            Deadline("nis2", "initial", "early warning", "aware", aware_at, aware_at + 24 * hours),
            Deadline("nis2", "intermediate", "incident notification", "aware", aware_at, notification),
            Deadline("nis2", "final", "final report", "notification", notification, add_months(notification)),
        ]
    if regime == "dora":
        latest = aware_at + 24 * hours
        initial = min(classified_at + 4 * hours, latest) if classified_at else latest
        starts = "classified" if classified_at and classified_at + 4 * hours < latest else "aware"
        intermediate = initial + 72 * hours
        return [
            Deadline("dora", "initial", "initial notification", starts, classified_at or aware_at, initial),
            Deadline("dora", "intermediate", "intermediate report", "initial report", initial, intermediate),
            Deadline("dora", "final", "final report", "intermediate report", intermediate, add_months(intermediate)),
        ]
    raise ValueError(f"unknown regime {regime!r}")
