"""The evidence pack's payload: everything recorded about one incident, as files a regulator's reader can open and a
third party can check. Pure: the record in, the files out.

Texts are kept byte for byte: in JSON (UTF-8, nothing escaped that need not be) and, for what was approved, sent or
published, in files of their own. A snapshot's file is its canonical JSON exactly as fingerprinted, so its SHA-256
is its fingerprint; a notice's fingerprint is the SHA-256 of its UTF-8 text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from firehouse.domain.afteraction import Fixture, FollowUp, PostmortemVersion
from firehouse.domain.clocks import REGIMES, Deadline
from firehouse.domain.events import TimelineEntry
from firehouse.domain.firebreaks import Firebreak
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice
from firehouse.domain.pages import Page
from firehouse.domain.snapshots import Snapshot
from firehouse.domain.statuspage import StatusUpdate
from firehouse.domain.verification import Verification
from firehouse.domain.watches import Watch

README = SandboxedEnvironment(loader=FileSystemLoader(str(Path(__file__).parent)), undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, autoescape=False)
HISTORY_KINDS = ("declared", "severity", "class", "cause", "captain", "role", "status", "times")
_MARKDOWN = re.compile(r"[\\`*_\[\]<>#|~!{}]|^\s*[-+>]|^\s*\d+\.")  # what Markdown would read as more than text


@dataclass(frozen=True)
class Payload:
    """One file of an evidence pack's payload: its path under `data/` (POSIX, relative) and its bytes, or a function
    giving its bytes in chunks, so a large file is written as a stream."""

    path: str
    content: bytes | Callable[[], Iterable[bytes]]


@dataclass(frozen=True)
class SnapshotRef:
    """A snapshot named by its number and fingerprint, loaded only when its file is written: a pack holds hundreds
    of megabytes of them, never all in memory at once."""

    id: int
    fingerprint: str
    traced: bool
    load: Callable[[], Snapshot]


@dataclass(frozen=True)
class IncidentRecord:
    """Everything Firehouse holds about one incident, read in one go."""

    incident: Incident
    timeline: Sequence[TimelineEntry]
    snapshots: Sequence[SnapshotRef] = ()
    firebreaks: Sequence[Firebreak] = ()
    notices: Sequence[Notice] = ()
    deadlines: Sequence[Deadline] = ()
    postmortems: Sequence[PostmortemVersion] = ()
    fixtures: Sequence[Fixture] = ()
    actions: Sequence[FollowUp] = ()
    alerts: Sequence[Mapping[str, Any]] = ()
    watches: Sequence[Watch] = ()
    verifications: Sequence[Verification] = ()
    status_updates: Sequence[StatusUpdate] = ()
    pages: Sequence[Page] = ()
    regimes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def payload(record: IncidentRecord) -> Iterator[Payload]:
    """Every file of the pack's `data/`, in a fixed order."""
    incident = record.incident
    yield Payload("README.md", readme(record).encode("utf-8"))
    yield Payload("incident.json", _json(_incident(record)))
    yield Payload("timeline.jsonl", lambda: (_json(_entry(e), lines=True) for e in record.timeline))
    yield Payload("timeline.md", lambda: (line.encode("utf-8") for line in timeline_markdown(incident,
                                                                                            record.timeline)))
    for ref in record.snapshots:
        name = f"snapshots/snapshot-{ref.id:04d}-{ref.fingerprint}"
        yield Payload(f"{name}.json", lambda ref=ref: [canonical(ref.load().canonical())])
        if ref.traced:  # named by its own SHA-256, the snapshot's `trace_sha256`
            yield Payload(f"snapshots/traces/snapshot-{ref.id:04d}-trace.json",
                          lambda ref=ref: [ref.load().trace_raw.encode("utf-8")])
    yield Payload("firebreaks.json", _json({
        "firebreaks": [_plain(f) for f in record.firebreaks],
        "timeline": [_entry(e) for e in record.timeline if e.kind in ("firebreak", "verify")]}))
    for notice in record.notices:
        yield from _notice(notice)
    yield Payload("status-updates.json", _json([{**_plain(u), "published_text_sha256": u.fingerprint}
                                                for u in record.status_updates]))
    yield Payload("regulatory.json", _json(_regulatory(record)))
    for version in record.postmortems:
        if version.published_at:
            yield Payload(f"postmortem/postmortem-v{version.version}.md", version.text.encode("utf-8"))
    yield Payload("postmortem/versions.json", _json([{**_plain(v, leave=("text",)), "sha256": v.fingerprint}
                                                     for v in record.postmortems]))
    yield Payload("fixtures.json", _json([_plain(f) for f in record.fixtures]))
    yield Payload("actions.json", _json([_plain(a) for a in record.actions]))
    yield Payload("alerts.json", _json([_plain(a) for a in record.alerts]))
    yield Payload("signals.json", _json({"watched": [_plain(w) for w in record.watches],
                                         "verifications": [_plain(v) for v in record.verifications]}))
    yield Payload("pages.json", _json([_plain(p) for p in record.pages]))


def canonical(value: object) -> bytes:
    """Exactly the bytes a snapshot's fingerprint is taken over (`domain.snapshots.fingerprint`)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def readme(record: IncidentRecord) -> str:
    incident = record.incident
    return README.get_template("evidence_readme.md.j2").render(
        incident=incident, drill=incident.drill, snapshots=record.snapshots, notices=record.notices,
        published=[v for v in record.postmortems if v.published_at], regimes=[REGIMES[r].name for r in record.regimes])


def timeline_markdown(incident: Incident, entries: Sequence[TimelineEntry]) -> Iterator[str]:
    """The timeline for people, line by line: UTC, author, kind, and each text as typed (in code where Markdown
    would read it)."""
    drill = "DRILL: " if incident.drill else ""
    yield f"# {drill}Timeline of incident {incident.id}\n\nAll times are UTC.\n\n"
    for entry in entries:
        yield f"- {_utc(entry.at)} · `{entry.author}` · {entry.kind} · {literal(entry.text)}\n"


def literal(text: str) -> str:
    """`text` as Markdown shows it, character for character: plain when nothing in it means anything to Markdown,
    else in a code span (a fence longer than any run of backticks inside); lines joined with ` ⏎ `."""
    one_line = " ⏎ ".join(text.split("\n"))
    if not _MARKDOWN.search(one_line):
        return one_line
    fence = "`" * (max((len(run) for run in re.findall(r"`+", one_line)), default=0) + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


# --- the parts ----------------------------------------------------------------------------------------------

def _incident(record: IncidentRecord) -> dict:
    incident = record.incident
    history = [_entry(e) for e in record.timeline if e.kind in HISTORY_KINDS]
    return {
        "id": incident.id, "title": incident.title, "description": incident.description,
        "drill": incident.drill, "private": incident.private,
        "severity": incident.severity.label, "class": incident.class_id, "cause": incident.cause,
        "status": incident.status.value, "captain": incident.captain, "roles": dict(incident.roles),
        "declared_by": incident.declared_by, "reached_users": incident.reached_users, "summary": incident.summary,
        "facts": dict(incident.facts), "war_room": incident.channel_id,
        "moments": {name: _utc(moment) for name, moment in (
            ("detected", incident.detected_at), ("aware", incident.aware_at), ("declared", incident.declared_at),
            ("classified", incident.classified_at), ("contained", incident.contained_at),
            ("resolved", incident.resolved_at), ("closed", incident.closed_at),
            ("customer_notice_sent", incident.notice_sent_at))},
        "customer_notice_waiver": incident.notice_waiver, "lock_waiver": incident.lock_waiver,
        "no_fixture_reason": incident.no_fixture_reason,
        # severity, class, cause, captain, roles and status over time, with their reasons, as the timeline has them
        "history": history,
    }


def _notice(notice: Notice) -> Iterator[Payload]:
    base = f"notices/notice-{notice.id:04d}-{notice.lane}"
    if notice.approved_text is not None:  # exactly as approved, and so as sent or published
        yield Payload(f"{base}-approved.md", notice.approved_text.encode("utf-8"))
    else:
        yield Payload(f"{base}-draft.md", notice.text.encode("utf-8"))
    yield Payload(f"{base}.json", _json({
        **_plain(notice, leave=("text", "approved_text", "message_ts")),
        "text_sha256": sha256(notice.text),
        "approved_text_sha256": sha256(notice.approved_text) if notice.approved_text is not None else None,
        # what went out is the approved text: marked sent, or published (see status-updates.json for the page's)
        "sent": notice.status.value in ("sent", "published"),
    }))


def _regulatory(record: IncidentRecord) -> dict:
    incident = record.incident
    reported_by = {f"{n.regime}:{n.stage}": n for n in record.notices
                   if n.regime and n.stage and n.status.value == "sent"}
    return {
        "regimes": {regime: {"name": REGIMES[regime].name, "classes": list(classes)}
                    for regime, classes in record.regimes.items()},
        "deadlines": [{
            "regime": d.regime, "stage": d.stage, "label": d.label, "counted_from": d.starts,
            "start": _utc(d.start), "due": _utc(d.due), "reported": d.key in incident.reported,
            "reported_at": _utc(reported_by[d.key].sent_at) if d.key in reported_by else None,
            "reported_by_notice": reported_by[d.key].id if d.key in reported_by else None,
        } for d in record.deadlines],
        "not_reportable": {regime: dict(decision) for regime, decision in incident.not_reportable.items()},
    }


def _entry(entry: TimelineEntry) -> dict:
    return {"at": _utc(entry.at), "author": entry.author, "kind": entry.kind, "text": entry.text}


def _plain(obj: object, *, leave: Sequence[str] = ()) -> dict:
    """A record's fields as JSON values: moments in UTC, enums by value."""
    fields = obj if isinstance(obj, Mapping) else {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    return {key: _value(value) for key, value in fields.items() if key not in leave}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, timedelta):
        return value.total_seconds()  # seconds, as the JSON says where a duration is (a signal's baseline)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN nor infinity
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value):
        return _plain(value)
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_value(v) for v in value]
    return value


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json(value: object, *, lines: bool = False) -> bytes:
    if lines:
        return (json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
    return (json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")
