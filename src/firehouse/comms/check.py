"""`firehouse templates check`: render every template in every situation it may meet (postmortems with
the whole record and with none)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from firehouse.comms.context import UpdateView, signal_context, template_context
from firehouse.comms.notices import DecisionView, RegimeView
from firehouse.comms.postmortem import LANE as POSTMORTEM
from firehouse.comms.postmortem import postmortem_context
from firehouse.comms.templates import TemplateCatalogue, TemplateProblem
from firehouse.domain.afteraction import NOTE_SECTIONS, Fixture, FollowUp
from firehouse.domain.classes import Catalog
from firehouse.domain.clocks import REGIMES
from firehouse.domain.events import FIREHOUSE, TimelineEntry
from firehouse.domain.facts import CHOICES, FACTS
from firehouse.domain.firebreaks import Firebreak, State
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.domain.severity import Severity
from firehouse.domain.signals import Signal
from firehouse.domain.snapshots import Snapshot
from firehouse.domain.verification import Verdict, Verification
from firehouse.domain.watches import Origin, Watch

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
    for name in catalogue.names():
        for context in _situations(name.split("/", 1)[0], catalog):
            try:
                rendered = catalogue.render(name, context)
            except TemplateProblem as err:
                problems.setdefault(name, err.reply)
                continue
            renders += 1
            if "6170" in rendered.text:
                problems.setdefault(name, f"Template `{name}` evaluated user text as a template.")
    return list(problems.values()), renders


def _situations(lane: str, catalog: Catalog) -> Iterator[dict[str, Any]]:
    """The contexts a template of `lane` may meet; a postmortem meets the whole record, then none of it."""
    if lane == POSTMORTEM:
        for class_id, status, full in itertools.product(catalog.classes, Status, (True, False)):
            incident = _incident(catalog, class_id, status)
            yield postmortem_context(incident, catalog=catalog, now=NOW, **_record(incident, full=full))
        return
    regimes = [None, *(RegimeView(r.id, r.name, r.authority, stage, "2026-11-26 14:05 UTC")
                      for r in REGIMES.values() for stage in ("initial", "intermediate", "final"))]
    updates = [None, UpdateView("Rolled back prompt v42", "@U0SAMPLE", "14:00 UTC")]
    for class_id, status, facts in itertools.product(catalog.classes, Status, (SAMPLE_FACTS, {})):
        firebreaks, watches, verifications = _measured() if facts else ([], [], [])
        for regime, update in itertools.product(regimes if lane == "legal" else [None],
                                                updates if lane == "internal" else [None]):
            yield template_context(
                _incident(catalog, class_id, status), catalog=catalog, facts=facts, now=NOW, for_slack=False,
                next_update_at=NOW + timedelta(minutes=15), regime=regime, update=update,
                decision=DecisionView("no personal data was involved", "@U0LEGAL", "2026-11-23 14:00 UTC"),
                last_update_at="13:50 UTC",
                **signal_context(verifications, firebreaks=firebreaks, watches=watches, for_slack=False),
            )


def _measured() -> tuple[list[Firebreak], list[Watch], list[Verification]]:
    """A firebreak measured against a watched signal (named from outside: an alert's, that looks like a template)
    twice: it worked, and the measure taken later said so again."""
    at, text = NOW - timedelta(hours=1), "{{ 1234*5 }} <!channel>"
    pulled = Firebreak(42, "kill-switch", text, "unleash", "U0SAMPLE", at, name="agent-off", state=State.EXECUTED,
                       executed_at=at, id=1)
    signal = Signal(name="alert-sample", query="up", label=text, source="prom", unit="percent", threshold=0.03)
    watch = Watch(42, signal, Origin.ALERT, FIREHOUSE, at)
    verifications = [Verification(42, 1, signal.name, at + timedelta(minutes=m), at + timedelta(minutes=m),
                                  Verdict.WORKED, f"Effect of agent-off on {text}: 9.1% → 2.1% (−77%), back within"
                                  " baseline", 0.091, 0.021) for m in (10, 20)]
    return [pulled], [watch], verifications


def _record(incident: Incident, *, full: bool) -> dict[str, Any]:
    """A postmortem's inputs: a sample of each kind of record (user text that looks like a template), or none."""
    if not full:
        incident.facts = {}
        return {"timeline": [], "snapshots": [], "firebreaks": [], "notices": [], "actions": [], "fixtures": [],
                "notes": {}, "watches": [], "verifications": []}
    at, text = incident.declared_at, "{{ 1234*5 }} <!channel>"
    incident.facts, incident.cause, incident.summary = dict(SAMPLE_FACTS), "prompt", text
    incident.not_reportable = {"gdpr": {"reason": text, "by": "U0LEGAL", "at": at.isoformat()}}
    snapshot = Snapshot.freeze({"model": "gpt-4o", "input": text}, incident_id=42, by="U0SAMPLE", at=at, cap=10_000)
    pulled = Firebreak(42, "rollback", text, "unleash", "U0SAMPLE", at, state=State.LIFTED, executed_at=at, lifted_at=NOW)
    failed = Firebreak(42, "kill-switch", text, "webhook", "U0SAMPLE", at, state=State.FAILED, answer=text, attempts=2)
    notice = Notice(42, "legal", "legal/default", text, text, "U0SAMPLE", at, regime="gdpr", stage="initial",
                    status=NoticeStatus.SENT, approved_by="U0LEGAL", sent_by="U0LEGAL", sent_at=NOW, id=1)
    open_action, _ = FollowUp.add(text, incident_id=42, kind="prevent", by="U0SAMPLE", at=at)
    done_action, _ = FollowUp.add(text, incident_id=42, kind="detect", by="U0SAMPLE", at=at, owner="U0SAMPLE",
                                  due=at.date())
    done_action.complete(by="U0SAMPLE", at=NOW)
    fixture = Fixture.write(incident_id=42, input=[{"role": "user", "content": text}], bad_output=text,
                            by="U0SAMPLE", at=at, forbidden=[text], tags=[text], snapshot_id=1)
    timeline = [TimelineEntry(at, "U0SAMPLE", kind, text) for kind in ("declared", "severity", "class", "alert", "log")]
    measured, watches, verifications = _measured()
    unmeasured = Watch(42, Signal(name="cost", query="sum(cost)", label=text, source="prom"), Origin.COMMAND,
                       "U0SAMPLE", at, stopped_by="U0SAMPLE", stopped_at=NOW)
    return {"timeline": [*timeline, TimelineEntry(NOW, FIREHOUSE, "status", text)], "snapshots": [snapshot],
            "firebreaks": [pulled, failed, *measured], "notices": [notice], "actions": [open_action, done_action],
            "fixtures": [fixture], "notes": {section: [text] for section in NOTE_SECTIONS},
            "watches": [*watches, unmeasured], "verifications": verifications}
