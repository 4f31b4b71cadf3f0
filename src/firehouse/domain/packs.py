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
        fixed = "timestamped" if self.timestamped else "not timestamped" + (
            f" ({self.stamp_problem})" if self.stamp_problem else "")
        return TimelineEntry(self.at, self.by, "evidence",
                             f"Evidence pack built and {self.where}: {self.files} files, {self.octets} bytes of"
                             f" payload, {fixed}; sha256 {self.sha256}")
