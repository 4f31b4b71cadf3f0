"""Snapshots: frozen evidence, taken before anyone changes the scene.

A snapshot is append-only and immutable. Its SHA-256 fingerprint is taken over its canonical JSON
(sorted keys, no spaces, UTF-8): who froze it, when, for which incident, every field, the snapshot it
corrects and the fingerprint of any raw trace it holds. A correction is a new snapshot that names the
one it supersedes; nothing is ever edited.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from firehouse.domain.events import TimelineEntry
from firehouse.errors import InvalidChange, echo

# The fields responders usually freeze, with what each holds; free keys are allowed as well.
FIELDS: dict[str, str] = {
    "model": "the model (provider and name)",
    "model_version": "the provider's pinned model id",
    "prompt_version": "the prompt template's version",
    "system_prompt": "the system prompt as it was",
    "retrieval_index": "the retrieval index or its version",
    "retrieval_docs": "the documents retrieval returned",
    "config": "temperature, max tokens, routing",
    "flags": "feature flags in force",
    "trace": "trace ids or URLs",
    "tool_calls": "the tools called and what they answered",
    "tenants": "the tenants affected",
    "input": "the exact request or messages that failed",
    "output": "the bad output as users saw it",
    "expected": "what should have happened",
    "usage": "tokens used",
}
LONG_FIELDS = ("input", "output", "system_prompt", "expected")  # these come through the form
CUT_MARK = " …[cut]"
KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
MAX_FIELDS = 40


def fingerprint(payload: object) -> str:
    """The SHA-256 of `payload`'s canonical JSON."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    if not KEY.fullmatch(key):
        raise InvalidChange(f"`{echo(key)}` is not a field name: use a-z, 0-9, `_`, `.` or `-`, starting with a letter.")
    return key


@dataclass
class Snapshot:
    """One frozen record of evidence. `cut` names the fields shortened to stay under the size cap."""

    incident_id: int
    taken_by: str
    taken_at: datetime
    fields: dict[str, str]
    supersedes: int | None = None
    trace_raw: str | None = None  # the trace source's JSON, verbatim
    trace_source: str | None = None
    cut: list[str] = field(default_factory=list)
    id: int | None = None
    fingerprint: str = ""

    @classmethod
    def freeze(
        cls,
        fields: Mapping[str, str],
        *,
        incident_id: int,
        by: str,
        at: datetime,
        cap: int,
        supersedes: int | None = None,
        trace_raw: str | None = None,
        trace_source: str | None = None,
    ) -> Snapshot:
        """A new snapshot of `fields` (and a raw trace), within `cap` bytes; its fingerprint is final."""
        if not fields and trace_raw is None:
            raise InvalidChange("A snapshot needs at least one field, like `model=gpt-4o` or `trace=<id>`.")
        if len(fields) > MAX_FIELDS:
            raise InvalidChange(f"A snapshot holds at most {MAX_FIELDS} fields; this one has {len(fields)}.")
        kept: dict[str, str] = {}
        for key, value in fields.items():
            check_key(key)
            if not value.strip():
                raise InvalidChange(f"The field `{echo(key)}` is empty; leave it out or give it a value.")
            kept[key] = value
        snapshot = cls(incident_id=incident_id, taken_by=by, taken_at=at, fields=kept, supersedes=supersedes,
                       trace_raw=trace_raw, trace_source=trace_source)
        snapshot._fit(cap)
        snapshot.fingerprint = fingerprint(snapshot.canonical())
        return snapshot

    def _fit(self, cap: int) -> None:
        """Fit the evidence in `cap` bytes: cut the raw trace first, then the longest fields, one at a time,
        so the shorter ones (often the exact input) stay whole."""
        def size() -> int:
            return sum(len(v.encode()) for v in self.fields.values()) + len((self.trace_raw or "").encode())

        if size() <= cap:
            return
        if self.trace_raw is not None:
            self.trace_raw = _cut(self.trace_raw, cap - sum(len(v.encode()) for v in self.fields.values()))
            self.cut.append("trace (raw JSON)")
        for key in sorted(self.fields, key=lambda k: -len(self.fields[k].encode())):
            if size() <= cap:
                break
            others = size() - len(self.fields[key].encode())
            self.fields[key] = _cut(self.fields[key], cap - others)
            self.cut.append(key)

    def canonical(self) -> dict:
        """What the fingerprint covers."""
        return {
            "incident": self.incident_id,
            "taken_by": self.taken_by,
            "taken_at": self.taken_at.isoformat(),
            "fields": self.fields,
            "supersedes": self.supersedes,
            "trace_source": self.trace_source,
            "trace_sha256": hashlib.sha256(self.trace_raw.encode()).hexdigest() if self.trace_raw is not None else None,
            "cut": self.cut,
        }

    def verify(self) -> bool:
        """Whether the stored record still matches its fingerprint."""
        return fingerprint(self.canonical()) == self.fingerprint

    @property
    def short(self) -> str:
        return self.fingerprint[:12]

    def event(self) -> SnapshotTaken:
        return SnapshotTaken(at=self.taken_at, by=self.taken_by, snapshot_id=self.id or 0, keys=tuple(self.fields),
                             fingerprint=self.fingerprint, supersedes=self.supersedes, cut=tuple(self.cut),
                             trace_source=self.trace_source)


def _cut(text: str, limit: int) -> str:
    """`text` within `limit` UTF-8 bytes (at least the mark's), never splitting a character, marked as cut."""
    room = max(0, limit - len(CUT_MARK.encode()))
    return (text.encode()[:room].decode("utf-8", errors="ignore") + CUT_MARK).lstrip()


@dataclass(frozen=True)
class SnapshotTaken:
    """Evidence was frozen."""

    at: datetime
    by: str
    snapshot_id: int
    keys: tuple[str, ...]
    fingerprint: str
    supersedes: int | None = None
    cut: tuple[str, ...] = ()
    trace_source: str | None = None

    def timeline_entry(self) -> TimelineEntry:
        what = ", ".join(self.keys) or "a trace"
        text = f"Snapshot #{self.snapshot_id} frozen: {what} (sha256 {self.fingerprint})"
        if self.trace_source:
            text += f"; trace pulled from {self.trace_source}"
        if self.supersedes:
            text += f"; supersedes snapshot #{self.supersedes}"
        if self.cut:
            text += f"; cut to fit the size cap: {', '.join(self.cut)}"
        return TimelineEntry(self.at, self.by, "snapshot", text)
