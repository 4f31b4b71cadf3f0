"""What templates see: the incident and its facts as plain, already-escaped values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firehouse.comms.mrkdwn import escape as slack_escape
from firehouse.comms.templates import Facts
from firehouse.domain.classes import Catalog
from firehouse.domain.firebreaks import KINDS, Firebreak, State
from firehouse.domain.model import Incident
from firehouse.domain.times import hhmm, stamp
from firehouse.domain.verification import Verdict, Verification, mitigated
from firehouse.domain.watches import Watch


def when(moment: datetime | None) -> str | None:
    """A moment as templates show it; None stays None, so templates can test for it."""
    return stamp(moment) if moment else None


def clock(moment: datetime | None) -> str | None:
    return hhmm(moment) if moment else None


@dataclass(frozen=True)
class UpdateView:
    """A status update as the stakeholder template sees it."""

    text: str
    author: str
    posted_at: str


@dataclass(frozen=True)
class FirebreakView:
    """A firebreak as templates see it: what was done to what, since when, and whether it still holds."""

    kind: str
    target: str
    what: str  # the kind in plain words: "turn the feature off"
    since: str | None
    lifted_at: str | None
    in_force: bool


def firebreak_views(firebreaks: Iterable[Firebreak], *, for_slack: bool) -> list[FirebreakView]:
    """The firebreaks that took effect (in force or lifted since), oldest first."""
    escape = escaper(for_slack=for_slack)
    return [FirebreakView(f.kind, escape(f.target), KINDS[f.kind], when(f.executed_at), when(f.lifted_at),
                          f.state is State.EXECUTED)
            for f in firebreaks if f.executed_at is not None]


@dataclass(frozen=True)
class VerificationView:
    """A firebreak's measured effect on a watched signal, as templates see it: `before` and `after` in the signal's
    unit (`9.1%`, `-` for no data), `verdict` one of worked, better, no effect, worse, unknown."""

    firebreak: str
    signal: str
    before: str
    after: str
    verdict: str
    worked: bool
    text: str


def verification_views(verifications: Iterable[Verification], *, firebreaks: Iterable[Firebreak],
                       watches: Iterable[Watch], escape: Callable[[str], str]) -> list[VerificationView]:
    """Each measured effect in the order it was measured, named as the war room named them: the firebreak by its
    configured name (its kind when recorded by hand), the signal by its label as it was watched."""
    names = {f.id: f.name or f.kind for f in firebreaks}
    signals = {w.signal.name: w.signal for w in watches}
    views = []
    for verification in sorted(verifications, key=lambda v: v.done_at):
        signal = signals.get(verification.signal)
        show = signal.show if signal else _number
        views.append(VerificationView(
            firebreak=escape(names.get(verification.firebreak_id, f"firebreak #{verification.firebreak_id}")),
            signal=escape(signal.label if signal else verification.signal), before=show(verification.before),
            after=show(verification.after), verdict=Verdict(verification.verdict).value,
            worked=verification.verdict == Verdict.WORKED, text=escape(verification.text)))
    return views


def signal_context(verifications: Sequence[Verification], *, firebreaks: Iterable[Firebreak],
                   watches: Iterable[Watch], for_slack: bool) -> dict[str, Any]:
    """`verifications` and `mitigation_worked` (domain.signals.mitigated) for `template_context`."""
    return {"verifications": verification_views(verifications, firebreaks=firebreaks, watches=watches,
                                                escape=escaper(for_slack=for_slack)),
            "mitigation_worked": mitigated(verifications)}


def _number(value: float | None) -> str:
    """A value of a signal no longer known (its watch is gone): as a plain number."""
    return "-" if value is None else f"{value:,.3g}"


@dataclass(frozen=True)
class IncidentView:
    """The incident as templates see it."""

    id: int
    title: str
    severity: str
    class_id: str
    class_description: str
    status: str
    captain: str
    declared_at: str
    detected_at: str | None
    aware_at: str | None
    contained_at: str | None
    resolved_at: str | None
    summary: str
    drill: bool = False  # a practice incident: a template may say so


def escaper(*, for_slack: bool) -> Callable[[str], str]:
    """Slack needs `&`, `<` and `>` escaped so text can't ping or link; plain Markdown is left alone."""
    return slack_escape if for_slack else str


def template_context(
    incident: Incident,
    *,
    catalog: Catalog,
    facts: Mapping[str, str],
    now: datetime,
    for_slack: bool,
    next_update_at: datetime | None = None,
    discreet: bool = False,
    firebreaks: Sequence[FirebreakView] = (),
    verifications: Sequence[VerificationView] = (),
    mitigation_worked: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The variables every template gets, plus `extra` ones (regime, decision, update, …).

    `discreet` names a private incident only by its number, for readers outside its war room. `verifications`
    are the firebreaks' measured effects; `mitigation_worked` says a product template may tell customers the
    measure taken has worked (see `signal_context`).
    """
    escape = escaper(for_slack=for_slack)
    incident_class = catalog.classes.get(incident.class_id)
    view = IncidentView(
        id=incident.id or 0,
        title="private incident" if discreet else escape(incident.title),
        severity=incident.severity.label,
        class_id=incident.class_id,
        class_description=escape(incident_class.description if incident_class else incident.class_id),
        status=incident.status.value,
        captain=f"<@{incident.captain}>" if for_slack else f"@{incident.captain}",
        declared_at=when(incident.declared_at),
        detected_at=when(incident.detected_at),
        aware_at=when(incident.aware_at),
        contained_at=when(incident.contained_at),
        resolved_at=when(incident.resolved_at),
        summary="" if discreet else escape(incident.summary),
        drill=incident.drill,
    )
    return {"incident": view, "facts": Facts(facts, escape), "now": when(now),
            "next_update_at": clock(next_update_at), "firebreaks": list(firebreaks),
            "verifications": list(verifications), "mitigation_worked": mitigation_worked, **extra}
