"""`firehouse templates check`: render every template in every situation it may meet."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from firehouse.comms.context import UpdateView, template_context
from firehouse.comms.notices import DecisionView, RegimeView
from firehouse.comms.templates import TemplateCatalogue, TemplateProblem
from firehouse.domain.classes import Catalog
from firehouse.domain.clocks import REGIMES
from firehouse.domain.facts import CHOICES, FACTS
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity

NOW = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
SAMPLE_FACTS = {key: CHOICES[key][0] if key in CHOICES else f"sample {key.replace('_', ' ')}" for key in FACTS}


def _incident(catalog: Catalog, class_id: str, status: Status) -> Incident:
    incident, _ = Incident.declare(title="Sample incident <with> {{ 1234*5 }}", severity=Severity.SEV1,
                                   incident_class=catalog.classes[class_id], by="U0SAMPLE", at=NOW - timedelta(hours=2))
    incident.id, incident.status = 42, status
    incident.contained_at = NOW - timedelta(hours=1) if status is not Status.INVESTIGATING else None
    incident.resolved_at = NOW if not status.is_open else None
    return incident


def check_templates(catalogue: TemplateCatalogue, catalog: Catalog) -> tuple[list[str], int]:
    """Render each template with full and with no facts, for every class, status, regime and stage.

    Returns the problems found (at most one per template) and how many renders ran.
    """
    problems: dict[str, str] = {}
    renders = 0
    regimes = [None, *(RegimeView(r.id, r.name, r.authority, stage, "2026-11-26 14:05 UTC")
                      for r in REGIMES.values() for stage in ("initial", "intermediate", "final"))]
    updates = [None, UpdateView("Rolled back prompt v42", "@U0SAMPLE", "14:00 UTC")]
    for name in catalogue.names():
        lane = name.split("/", 1)[0]
        for class_id, status, facts in itertools.product(catalog.classes, Status, (SAMPLE_FACTS, {})):
            for regime, update in itertools.product(regimes if lane == "legal" else [None],
                                                    updates if lane == "internal" else [None]):
                context = template_context(
                    _incident(catalog, class_id, status), catalog=catalog, facts=facts, now=NOW, for_slack=False,
                    next_update_at=NOW + timedelta(minutes=15), regime=regime, update=update,
                    decision=DecisionView("no personal data was involved", "@U0LEGAL", "2026-11-23 14:00 UTC"),
                    last_update_at="13:50 UTC",
                )
                try:
                    rendered = catalogue.render(name, context)
                except TemplateProblem as err:
                    problems.setdefault(name, err.reply)
                    continue
                renders += 1
                if "6170" in rendered.text:
                    problems.setdefault(name, f"Template `{name}` evaluated user text as a template.")
    return list(problems.values()), renders
