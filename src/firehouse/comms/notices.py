"""Rendering a lane's notice for an incident: the template, and for legal fact sheets, the regime."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from firehouse.comms.context import firebreak_views, signal_context, template_context, when
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.classes import Catalog
from firehouse.domain.clocks import REGIMES, deadlines
from firehouse.domain.firebreaks import Firebreak
from firehouse.domain.model import Incident
from firehouse.domain.verification import Verification
from firehouse.domain.watches import Watch

PER_REGIME = ("fact_sheet", "default", "not_reportable")  # legal templates rendered for one regime and stage


@dataclass(frozen=True)
class RegimeView:
    """The regime a legal template is rendered for, as templates see it."""

    id: str
    name: str
    authority: str
    stage: str
    deadline: str | None


@dataclass(frozen=True)
class DecisionView:
    """A "not reportable" decision, as templates see it."""

    reason: str
    decided_by: str
    decided_at: str


@dataclass(frozen=True)
class RenderedNotice:
    name: str
    title: str
    text: str
    missing: tuple[str, ...]
    regime: str | None
    stage: str | None


def render_notice(
    incident: Incident,
    *,
    templates: TemplateCatalogue,
    catalog: Catalog,
    regimes: Mapping[str, tuple[str, ...]],
    lane: str,
    now: datetime,
    template: str | None = None,
    regime: str | None = None,
    stage: str | None = None,
    firebreaks: Sequence[Firebreak] = (),
    verifications: Sequence[Verification] = (),
    watches: Sequence[Watch] = (),
) -> RenderedNotice:
    """Render `lane`'s notice in Markdown, exactly as it would be sent outside Slack; `firebreaks` tell
    customers what was disabled or degraded, `verifications` (of the signals in `watches`) whether it worked."""
    name = templates.resolve(lane, class_id=incident.class_id, template=template)
    extra: dict = {"regime": None, "decision": None}
    if lane == "legal" and name.split("/", 1)[1] in PER_REGIME:
        regime = regime or _first_regime(incident, regimes)
        stage = stage or "initial"
        if regime:
            extra["regime"] = _regime_view(incident, regime, stage)
            decision = incident.not_reportable.get(regime)
            if decision:
                extra["decision"] = DecisionView(decision["reason"], f"@{decision['by']}",
                                                 when(datetime.fromisoformat(decision["at"])))
    else:
        regime = stage = None
    context = template_context(incident, catalog=catalog, facts=incident.facts, now=now, for_slack=False,
                               next_update_at=incident.next_update_due,
                               firebreaks=firebreak_views(firebreaks, for_slack=False),
                               **signal_context(verifications, firebreaks=firebreaks, watches=watches, for_slack=False),
                               **extra)
    rendered = templates.render(name, context)
    return RenderedNotice(rendered.name, rendered.title, rendered.text, rendered.missing, regime, stage)


def _first_regime(incident: Incident, regimes: Mapping[str, tuple[str, ...]]) -> str | None:
    applying = [d.regime for d in incident.deadlines(regimes)]
    return applying[0] if applying else next(iter(regimes), None)


def _regime_view(incident: Incident, regime: str, stage: str) -> RegimeView:
    info = REGIMES[regime]
    found = [d for d in deadlines(regime, aware_at=incident.aware_at or incident.declared_at,
                                  classified_at=incident.classified_at, facts=incident.facts) if d.stage == stage]
    return RegimeView(regime, info.name, info.authority, stage, when(found[0].due) if found else None)
