"""An evidence pack built: on the timeline with its full SHA-256 and who built it, so an auditor sees every pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from firehouse.domain.events import TimelineEntry


@dataclass(frozen=True)
class EvidencePacked:
    at: datetime
    by: str
    sha256: str  # of the ZIP file, or of the bag's tag manifest when it was written as a folder
    files: int
    octets: int
    timestamped: bool
    where: str  # "uploaded to the war room", "exported"
    stamp_problem: str | None = None

    def timeline_entry(self) -> TimelineEntry:
        fixed = stamped(self.timestamped, self.stamp_problem)
        return TimelineEntry(self.at, self.by, "evidence",
                             f"Evidence pack built and {self.where}: {self.files} files, {self.octets} bytes of"
                             f" payload, {fixed}; sha256 {self.sha256}")


def stamped(timestamped: bool, problem: str | None) -> str:
    """Whether a pack is fixed in time, and why not when an authority was asked and failed."""
    return "timestamped" if timestamped else "not timestamped" + (f" ({problem})" if problem else "")
