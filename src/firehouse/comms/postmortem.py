"""The postmortem draft: everything the incident recorded, laid out blameless for people to finish.

What the record cannot know (contributing factors, what went well) comes from responders' notes per
section, or the template marks it `[to write: …]`; every variable it uses is defined, perhaps empty, so a
strict template never fails on a missing input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from firehouse.comms.context import VerificationView, escaper, template_context, verification_views, when
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.afteraction import NOTE_SECTIONS, ActionState, Fixture, FollowUp
from firehouse.domain.alerts import KIND as ALERT_KIND
from firehouse.domain.classes import Catalog
from firehouse.domain.clocks import REGIMES
from firehouse.domain.events import FIREHOUSE, TimelineEntry
from firehouse.domain.firebreaks import Firebreak, State
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice
from firehouse.domain.snapshots import Snapshot
from firehouse.domain.times import duration
from firehouse.domain.verification import Verification, mitigated
from firehouse.domain.watches import Origin, Watch

LANE = "postmortem"
HISTORY_KINDS = ("declared", "severity", "class")  # the timeline entries that set severity or class
SIGNAL_KINDS = (ALERT_KIND,)  # entries an automated signal leaves (alert intake)
# Why a war room watched a signal, as the postmortem says it.
WHY_WATCHED = {
    Origin.COMMAND: "asked for in the war room",
    Origin.CLASS: "the incident's class watches it",
    Origin.FIREBREAK: "a firebreak it verifies was pulled",
    Origin.ALERT: "an alert brought it",
    Origin.DRILL: "the drill's scenario scripts it",
}
# A mention as Firehouse writes it into the timeline; a Markdown file shows it as @U123.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


@dataclass(frozen=True)
class EntryView:
    """One timeline entry: when (UTC), who, what kind, what."""

    at: str
    author: str
    kind: str
    text: str


@dataclass(frozen=True)
class DurationView:
    """A response time from the recorded moments; `value` is None with `missing` saying what to record."""

    name: str
    value: str | None
    start: str
    end: str
    missing: str


@dataclass(frozen=True)
class DetectionView:
    """The first signal: an automated one (`signal`) or, when none fired, the person who declared."""

    automated: bool
    signal: str | None
    at: str | None
    detected_at: str | None
    declared_by: str
    declared_at: str


@dataclass(frozen=True)
class SnapshotView:
    id: int
    taken_at: str
    taken_by: str
    fields: str
    fingerprint: str
    verified: bool
    supersedes: int | None
    cut: str


@dataclass(frozen=True)
class FirebreakRow:
    """A firebreak with its result: in force, lifted, failed or never confirmed."""

    label: str
    executor: str
    requested_at: str
    requested_by: str
    state: str
    executed_at: str | None
    lifted_at: str | None
    answer: str
    attempts: int


@dataclass(frozen=True)
class SignalRow:
    """A signal the war room watched: what it is, why and from when until when, and each firebreak's measured
    effect on it."""

    name: str
    label: str
    unit: str
    compared: str  # `compared with 7d before`, `compared with threshold 3.0%` or `no baseline`
    why: str
    started_at: str
    started_by: str
    stopped_at: str | None
    stopped_by: str | None
    verifications: list[VerificationView]


@dataclass(frozen=True)
class NoticeRow:
    id: int
    lane: str
    title: str
    status: str
    regime: str | None
    stage: str | None
    approved_by: str | None
    sent_at: str | None
    sent_by: str | None


@dataclass(frozen=True)
class DecisionRow:
    """A "not reportable" decision under one regime."""

    regime: str
    reason: str
    decided_by: str
    decided_at: str


@dataclass(frozen=True)
class ActionRow:
    id: int
    text: str
    kind: str
    owner: str | None
    due: str | None
    done_at: str | None


@dataclass(frozen=True)
class FixtureRow:
    key: str
    snapshot_id: int | None
    forbidden: int
    tags: str


@dataclass(frozen=True)
class RenderedPostmortem:
    name: str
    title: str
    text: str


def render_postmortem(incident: Incident, *, templates: TemplateCatalogue, **record: Any) -> RenderedPostmortem:
    """The postmortem draft in Markdown, from `postmortem/<class>` if the deployment has one, else the default.

    `record` is what `postmortem_context` takes (catalog, timeline, snapshots, firebreaks, notices, actions,
    fixtures, now, `notes`: what responders wrote for the sections the record cannot fill, and the signals'
    `watches` and `verifications`).
    """
    rendered = templates.render(templates.resolve(LANE, class_id=incident.class_id),
                                postmortem_context(incident, **record))
    return RenderedPostmortem(rendered.name, rendered.title, rendered.text)


def postmortem_context(
    incident: Incident,
    *,
    catalog: Catalog,
    timeline: Sequence[TimelineEntry],
    snapshots: Sequence[Snapshot],
    firebreaks: Sequence[Firebreak],
    notices: Sequence[Notice],
    actions: Sequence[FollowUp],
    fixtures: Sequence[Fixture],
    now: datetime,
    notes: Mapping[str, Sequence[str]] | None = None,
    watches: Sequence[Watch] = (),
    verifications: Sequence[Verification] = (),
) -> dict[str, Any]:
    """What a postmortem template sees: the notice variables plus the record, as plain Markdown-safe views;
    `watches` are every signal the war room watched (stopped ones too), `verifications` their measured effects."""
    entries = sorted(timeline, key=lambda e: e.at)

    def measured(chosen: Sequence[Verification]) -> list[VerificationView]:
        return verification_views(chosen, firebreaks=firebreaks, watches=watches, escape=_plain)

    context = template_context(incident, catalog=catalog, facts=incident.facts, now=now, for_slack=False,
                               verifications=measured(verifications), mitigation_worked=mitigated(verifications))
    context.update(
        cause=(f"{incident.cause} ({catalog.causes[incident.cause]})" if incident.cause in catalog.causes
               else incident.cause),
        roles={role: f"@{holder}" for role, holder in sorted(incident.roles.items())},
        timeline=[_entry(e) for e in entries],
        history=[_entry(e) for e in entries if e.kind in HISTORY_KINDS],
        moments={name: when(at) for name, at in incident.moments().items()},
        measured_from="detection" if incident.detected_at else "the declaration",
        durations=_durations(incident),
        detection=_detection(incident, entries),
        snapshots=[SnapshotView(s.id or 0, when(s.taken_at), f"@{s.taken_by}", ", ".join(_plain(k) for k in s.fields),
                                s.fingerprint, s.verify(), s.supersedes, ", ".join(s.cut))
                   for s in sorted(snapshots, key=lambda s: s.taken_at)],
        firebreaks=[_firebreak(f) for f in sorted(firebreaks, key=lambda f: f.requested_at)],
        watched=[_watched(w, measured([v for v in verifications if v.signal == w.signal.name]))
                 for w in sorted(watches, key=lambda w: w.started_at)],
        notices=[NoticeRow(n.id or 0, n.lane, _plain(n.title), n.status.value, n.regime and REGIMES[n.regime].name,
                           n.stage, _person(n.approved_by), when(n.sent_at), _person(n.sent_by))
                 for n in sorted(notices, key=lambda n: n.created_at)],
        decisions=[DecisionRow(REGIMES[regime].name, _plain(d["reason"]), f"@{d['by']}",
                               when(datetime.fromisoformat(d["at"])))
                   for regime, d in incident.not_reportable.items()],
        reported=[f"{REGIMES[key.split(':')[0]].name}, {key.split(':')[1]} report" for key in incident.reported
                  if key.split(":")[0] in REGIMES],
        notice_sent_at=when(incident.notice_sent_at),
        notice_waiver=_plain(incident.notice_waiver),
        actions_open=[_action(a) for a in actions if a.state is ActionState.OPEN],
        actions_done=[_action(a) for a in actions if a.state is ActionState.DONE],
        fixtures=[FixtureRow(f.key, f.snapshot_id, len(f.forbidden), ", ".join(_plain(t) for t in f.tags))
                  for f in fixtures],
        no_fixture_reason=_plain(incident.no_fixture_reason),
        notes={section: [_plain(text) for text in (notes or {}).get(section, ())] for section in NOTE_SECTIONS},
    )
    return context


def _plain(value: str) -> str:
    """User text for a Markdown file: data as typed (never template source), mentions as `@U123`."""
    return _MENTION.sub(r"@\1", escaper(for_slack=False)(value)).replace("\n", "\n  ")


def _person(user: str | None) -> str | None:
    if user is None:
        return None
    return "Firehouse" if user == FIREHOUSE else f"@{user}"


def _entry(entry: TimelineEntry) -> EntryView:
    return EntryView(when(entry.at), _person(entry.author), entry.kind, _plain(entry.text))


def _impact_start(incident: Incident) -> datetime | None:
    """The `window_start` fact when it is a time (`2026-11-23T09:00Z`, `2026-11-23 09:00 UTC`), else None."""
    written = incident.facts.get("window_start", "").strip().removesuffix("UTC").strip()
    try:
        moment = datetime.fromisoformat(written)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _durations(incident: Incident) -> list[DurationView]:
    """Time to detect (from the start of impact), and to captain, contain and resolve (from the first signal)."""
    start = incident.first_known_at
    first = "detection" if incident.detected_at else "declaration"
    impact = _impact_start(incident)

    def measured(name: str, begin: datetime | None, end: datetime | None, begin_name: str, end_name: str,
                 missing: str) -> DurationView:
        value = duration(begin, end) if begin and end else None
        return DurationView(name, value, begin_name, end_name, missing)

    return [
        measured("Time to detect", impact, start, "start of impact", first,
                 "when impact began; record it as a time: `/incident fact window_start=2026-11-23T09:00Z`"),
        measured("Time to captain", start, incident.captain_at, first,
                 "declaration" if incident.captain_at == incident.declared_at else "captain took the role",
                 "nobody has taken the captain role yet"),
        measured("Time to contain", start, incident.contained_at, first, "containment", "not contained yet"),
        measured("Time to resolve", start, incident.resolved_at, first, "resolution", "not resolved yet"),
    ]


def _detection(incident: Incident, entries: Sequence[TimelineEntry]) -> DetectionView:
    signal = next((e for e in entries if e.kind in SIGNAL_KINDS), None)
    return DetectionView(
        automated=signal is not None, signal=_plain(signal.text) if signal else None,
        at=when(signal.at) if signal else None, detected_at=when(incident.detected_at),
        declared_by=_person(incident.declared_by), declared_at=when(incident.declared_at),
    )


def _firebreak(firebreak: Firebreak) -> FirebreakRow:
    return FirebreakRow(
        label=_plain(firebreak.label), executor=_plain(firebreak.executor), requested_at=when(firebreak.requested_at),
        requested_by=_person(firebreak.requested_by), state=firebreak.state.value,
        executed_at=when(firebreak.executed_at) if firebreak.state in (State.EXECUTED, State.LIFTED) else None,
        lifted_at=when(firebreak.lifted_at), answer=_plain(firebreak.answer), attempts=firebreak.attempts,
    )


def _watched(watch: Watch, verifications: list[VerificationView]) -> SignalRow:
    signal = watch.signal
    compared = f"compared with {signal.baseline_name}" if signal.baseline or signal.threshold is not None \
        else "no baseline"
    return SignalRow(
        name=_plain(signal.name), label=_plain(signal.label), unit=signal.unit, compared=compared,
        why=WHY_WATCHED[watch.origin], started_at=when(watch.started_at), started_by=_person(watch.started_by),
        stopped_at=when(watch.stopped_at), stopped_by=_person(watch.stopped_by), verifications=verifications,
    )


def _action(action: FollowUp) -> ActionRow:
    return ActionRow(action.id or 0, _plain(action.text), action.kind, _person(action.owner),
                     action.due.isoformat() if action.due else None, when(action.done_at))
