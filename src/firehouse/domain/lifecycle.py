"""Where an incident stands: investigating → identified → contained → monitoring → resolved → closed."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """The lifecycle of an incident."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    CONTAINED = "contained"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (Status.RESOLVED, Status.CLOSED)


# The moves incidents really make. Going back is allowed while open (a fix that did not hold sends you
# back to investigating); a resolved incident can only be reopened, and a closed one not at all.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.INVESTIGATING: frozenset({Status.IDENTIFIED, Status.CONTAINED, Status.MONITORING, Status.RESOLVED}),
    Status.IDENTIFIED: frozenset({Status.INVESTIGATING, Status.CONTAINED, Status.MONITORING, Status.RESOLVED}),
    Status.CONTAINED: frozenset({Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED}),
    Status.MONITORING: frozenset({Status.INVESTIGATING, Status.IDENTIFIED, Status.CONTAINED, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.INVESTIGATING, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# What `/incident status` may set; `closed` comes with the postmortem.
SETTABLE = (Status.INVESTIGATING, Status.IDENTIFIED, Status.CONTAINED, Status.MONITORING, Status.RESOLVED)


def can_move(current: Status, to: Status) -> bool:
    return to in TRANSITIONS[current]
