"""Firebreaks: containment that really pulls, recorded requested → executed or failed → lifted.

A deployment configures its firebreaks by name (kind, target, executor); responders pull them, or
record one done by hand. The rules here are pure: what state a firebreak may move to, what the guards
say before a pull, and which firebreaks the suspected cause suggests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from firehouse.domain.events import TimelineEntry
from firehouse.errors import InvalidChange, echo

KINDS: dict[str, str] = {
    "kill-switch": "turn the feature off",
    "rollback": "go back to the last good model, prompt, retrieval index or config",
    "fallback-human": "hand the work to people",
    "degrade": "keep a reduced, safer service",
    "rate-limit": "slow it down",
    "tool-disable": "take a tool away from the agent",
    "traffic-split": "send traffic elsewhere",
}
ROLLBACK_OF = ("model", "prompt", "retrieval", "config")
# What each suspected cause suggests pulling first: rollbacks of the same thing, or these kinds.
SUGGESTED_KINDS: dict[str, tuple[str, ...]] = {
    "tool-loop": ("tool-disable", "rate-limit", "kill-switch"),
    "injection": ("tool-disable", "kill-switch", "fallback-human"),
    "input-drift": ("fallback-human", "degrade"),
    "eval-drift": ("rollback",),
}


class State(StrEnum):
    REQUESTED = "requested"
    EXECUTED = "executed"
    FAILED = "failed"
    LIFTED = "lifted"

    @property
    def in_force(self) -> bool:
        return self is State.EXECUTED


@dataclass(frozen=True)
class Configured:
    """A firebreak this deployment can pull: its name, what it is, and who carries it out."""

    name: str
    kind: str
    target: str
    executor: str
    rollback_of: str | None = None  # for a rollback: model, prompt, retrieval or config

    @property
    def described(self) -> str:
        what = f"{self.kind} of {self.rollback_of}" if self.rollback_of else self.kind
        return f"{what} · {self.target}"


def suggests(cause: str | None, item: Configured) -> bool:
    """Whether the suspected cause points to this firebreak (cause `prompt` → a prompt rollback)."""
    if cause in ROLLBACK_OF:
        return item.kind == "rollback" and item.rollback_of == cause
    return item.kind in SUGGESTED_KINDS.get(cause or "", ())


def suggested(configured: Iterable[Configured], cause: str | None) -> list[Configured]:
    """The configured firebreaks in the order to consider them: those the suspected cause points to first."""
    items = list(configured)
    return [i for i in items if suggests(cause, i)] + [i for i in items if not suggests(cause, i)]


NO_EVIDENCE = ("No evidence frozen yet: take a snapshot first (`/incident snapshot`), or what this changes may be"
               " lost for the investigation.")
AI_ACT = ("EU AI Act Art. 73: do not alter the AI system in a way that could affect the investigation before"
          " informing the authorities. Freeze the evidence and record the decision first.")


def guards(*, kind: str, evidence: bool, sev1: bool, ai_act: bool) -> list[str]:
    """What the person pulling must see first; each shown warning goes on the timeline with the pull.
    None of them blocks: at SEV1 containment comes before diagnosis."""
    found = []
    if not evidence:
        found.append(NO_EVIDENCE + (" At SEV1 containment comes first: you may pull now." if sev1 else ""))
    if ai_act and kind == "rollback":
        found.append(AI_ACT)
    return found


@dataclass
class Firebreak:
    """One pull (or one recorded by hand) in one incident, and what became of it."""

    incident_id: int
    kind: str
    target: str
    executor: str  # unleash, webhook, or "by hand"
    requested_by: str
    requested_at: datetime
    name: str | None = None  # the configured firebreak, None when recorded by hand
    note: str = ""
    state: State = State.REQUESTED
    executed_at: datetime | None = None
    answer: str = ""  # what the executor said, verbatim enough to show
    attempts: int = 0
    lifted_by: str | None = None
    lifted_at: datetime | None = None
    id: int | None = None

    @classmethod
    def request(cls, item: Configured, *, incident_id: int, by: str, at: datetime, note: str = "",
                warnings: Sequence[str] = ()) -> tuple[Firebreak, FirebreakRequested]:
        firebreak = cls(incident_id=incident_id, kind=item.kind, target=item.target, executor=item.executor,
                        requested_by=by, requested_at=at, name=item.name, note=note, attempts=1)
        return firebreak, FirebreakRequested(at=at, by=by, name=item.name, kind=item.kind, target=item.target,
                                             note=note, warnings=tuple(warnings))

    @classmethod
    def record(cls, *, kind: str, target: str, incident_id: int, by: str, at: datetime,
               note: str = "") -> tuple[Firebreak, FirebreakExecuted]:
        """One done by hand: recorded as in force at once."""
        if kind not in KINDS:
            raise InvalidChange(f"`{echo(kind)}` is not a firebreak kind: use one of {', '.join(KINDS)}.")
        firebreak = cls(incident_id=incident_id, kind=kind, target=target, executor="by hand", requested_by=by,
                        requested_at=at, note=note, state=State.EXECUTED, executed_at=at, answer="done by hand")
        return firebreak, FirebreakExecuted(at=at, by=by, label=firebreak.label, answer="recorded as done by hand")

    @property
    def label(self) -> str:
        return f"{self.name or self.kind} ({self.kind} · {self.target})" if self.name else f"{self.kind} · {self.target}"

    def retry(self, *, by: str, at: datetime, note: str = "", warnings: Sequence[str] = ()) -> FirebreakRequested:
        """Pull again after a failure (or after a restart left it requested)."""
        if self.state is State.EXECUTED:
            raise InvalidChange(f"{echo(self.label, 200)} is already pulled (since {self.executed_at:%H:%M} UTC); lift it first.")
        if self.state is State.LIFTED:
            raise InvalidChange(f"{echo(self.label, 200)} was lifted; pulling it again starts a new one.")
        self.state, self.attempts, self.note = State.REQUESTED, self.attempts + 1, note or self.note
        self.requested_by, self.requested_at = by, at
        return FirebreakRequested(at=at, by=by, name=self.name, kind=self.kind, target=self.target, note=note,
                                  warnings=tuple(warnings), retry=True)

    def executed(self, *, at: datetime, answer: str, by: str) -> FirebreakExecuted:
        self._must_be(State.REQUESTED)
        self.state, self.executed_at, self.answer = State.EXECUTED, at, answer
        return FirebreakExecuted(at=at, by=by, label=self.label, answer=answer)

    def failed(self, *, at: datetime, answer: str, by: str) -> FirebreakFailed:
        self._must_be(State.REQUESTED)
        self.state, self.answer = State.FAILED, answer
        return FirebreakFailed(at=at, by=by, label=self.label, answer=answer)

    def lift(self, *, by: str, at: datetime, answer: str, note: str = "") -> FirebreakLifted:
        if self.state is not State.EXECUTED:
            raise InvalidChange(f"{echo(self.label, 200)} is {self.state.value}, not in force, so there is nothing to lift.")
        self.state, self.lifted_by, self.lifted_at = State.LIFTED, by, at
        return FirebreakLifted(at=at, by=by, label=self.label, answer=answer, note=note)

    def _must_be(self, state: State) -> None:
        if self.state is not state:
            raise InvalidChange(f"{echo(self.label, 200)} is {self.state.value}, not {state.value}.")


def in_force(firebreaks: Iterable[Firebreak]) -> list[Firebreak]:
    return [f for f in firebreaks if f.state.in_force]


def _with_note(text: str, note: str) -> str:
    return f"{text}: {note}" if note else text


@dataclass(frozen=True)
class FirebreakRequested:
    at: datetime
    by: str
    name: str | None
    kind: str
    target: str
    note: str = ""
    warnings: tuple[str, ...] = ()
    retry: bool = False

    def timeline_entry(self) -> TimelineEntry:
        verb = "Retrying" if self.retry else "Requested"
        text = _with_note(f"{verb} firebreak {self.name} ({self.kind} · {self.target})", self.note)
        for warning in self.warnings:
            text += f"\nWarning shown and acknowledged: {warning}"
        return TimelineEntry(self.at, self.by, "firebreak", text)


@dataclass(frozen=True)
class FirebreakExecuted:
    at: datetime
    by: str
    label: str
    answer: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "firebreak", f"Firebreak {self.label} in force; executor: {self.answer}")


@dataclass(frozen=True)
class FirebreakFailed:
    at: datetime
    by: str
    label: str
    answer: str

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "firebreak", f"Firebreak {self.label} FAILED; executor: {self.answer}")


@dataclass(frozen=True)
class FirebreakLifted:
    at: datetime
    by: str
    label: str
    answer: str
    note: str = ""

    def timeline_entry(self) -> TimelineEntry:
        return TimelineEntry(self.at, self.by, "firebreak",
                             _with_note(f"Lifted firebreak {self.label}; executor: {self.answer}", self.note))
